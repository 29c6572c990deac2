// Builds our images on the VM, the same plans the local stack and the tests run
// (components/core/containers/images.ts): one remote command for the root filesystem and base,
// then one per service image FROM that base. Each command's trigger is its image's tag, which is a
// hash of everything that goes into the image, so an unchanged image is never rebuilt and a
// security update (a new packages.lock section) rebuilds exactly the images it touches. Builds
// run with the docker CLI on the host (over SSH on the VM; HostAccess says how); no registry is
// ever contacted. It creates no container and pushes no configuration.
import * as pulumi from "@pulumi/pulumi";
import { hostDir } from "./core/containers/hostLayout";
import { SERVICE_IMAGES, vmImageBuildScript, type ImagePlans } from "./core/containers/images";
import type { ServiceName, Topology } from "./core/topology";
import type { HostAccess } from "./hostAccess";

export interface ImageBuildsArgs {
  /** The image plans (imagePlans(topology)): tags and build contexts. */
  plans: ImagePlans;
  /** Production topology: the build folder lives on the volume. */
  topology: Topology;
  /** Where the builds run: the VM over SSH, or this machine. */
  host: HostAccess;
  /** VM only: cloud-init is done (Docker runs, debootstrap is installed, the volume is mounted). */
  serverReady?: pulumi.Resource;
  /** The host's identity (the Hetzner server id on the VM): a new host builds every image again. */
  serverId: pulumi.Input<string>;
  /** The services the stack runs (activeServices(cfg)); default every service image. */
  services?: readonly ServiceName[];
}

export class ImageBuilds extends pulumi.ComponentResource {
  /** Per service image: its tag, and the command that built it (containers depend on it). */
  readonly images: Record<ServiceName, { tag: string; build: pulumi.Resource }>;

  constructor(name: string, args: ImageBuildsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mailstack:index:ImageBuilds", name, {}, opts);
    const buildRoot = hostDir(args.topology, "build");
    // The base (and the debootstrap root filesystem under it) first: every service image builds FROM it.
    const base = args.host.run(
      "build-image-base",
      { create: "sh -s", stdin: vmImageBuildScript(args.plans, "base", buildRoot), triggers: [args.plans.base.tag, args.serverId] },
      { parent: this, dependsOn: args.serverReady ? [args.serverReady] : [] },
    );
    this.images = Object.fromEntries(
      SERVICE_IMAGES.filter((svc) => args.services?.includes(svc) ?? true).map((svc) => {
        const plan = args.plans.services[svc];
        const build = args.host.run(
          `build-image-${svc}`,
          { create: "sh -s", stdin: vmImageBuildScript(args.plans, svc, buildRoot), triggers: [plan.tag, args.serverId] },
          { parent: this, dependsOn: [base] },
        );
        return [svc, { tag: plan.tag, build }];
      }),
    ) as ImageBuilds["images"];
    this.registerOutputs({});
  }
}
