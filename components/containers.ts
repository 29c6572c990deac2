// The containers on the VM's Docker engine, reached through a docker.Provider over ssh://: one
// network, the pinned official images, our images built on the VM, and one container per service.
// Each container carries the content hash of its own rendered files in a label, so a config
// change replaces exactly that container, and the server id in another, so a replaced server gets
// the network and every container again (inputs shaped as the provider reads them back:
// core/containers/providerShapes.ts). Containers that need a certificate or the database
// schema at start are created only after those steps (ContainerSpec.waitsFor). It never renders
// or pushes files and never touches the server or DNS.
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { ServiceName, Topology } from "./core/topology";
import { containerSpecs } from "./core/containers/containerSpecs";
import { PULLED_IMAGES } from "./core/containers/containerSpecs";
import { MAIL_NETWORK } from "./core/host/dockerNetwork";
import { BUILT_IMAGES, imageBuildPlan } from "./core/containers/imageBuild";
import { dockerHealthcheck, publishedDockerPorts, serverIdentityLabel } from "./core/containers/providerShapes";
import { connectionOf, type SshAccess } from "./sshConnection";

export interface ContainersArgs {
  topology: Topology;
  ssh: SshAccess;
  /** ssh options for the Docker provider, and the local command that wrote the files they name. */
  dockerSsh: { sshOpts: string[]; written: pulumi.Resource };
  /** Cloud-init is done: Docker runs, the volume is mounted. */
  serverReady: pulumi.Resource;
  /** The Hetzner server id (MailServer.id): in every trigger and as a label on every Docker resource. */
  serverId: pulumi.Input<string>;
  configs: Record<ServiceName, { push: pulumi.Resource; contentHash: pulumi.Output<string> }>;
  postgresPassword: pulumi.Output<string>;
  /** The certificate hook has run once: the TLS folder holds a certificate and key. */
  certificateReady: pulumi.Resource;
  /**
   * Called once with the postgres container; returns the step that creates roles, databases and
   * schema in it (components/mailboxes.ts). Containers that wait for "database" depend on it.
   */
  databaseSetup: (postgres: docker.Container) => pulumi.Resource;
}

export const CONFIG_HASH_LABEL = "org.mailstack.config-hash";
export const IMAGE_LABEL = "org.mailstack.image";

export class Containers extends pulumi.ComponentResource {
  readonly containers: Record<ServiceName, docker.Container>;

  constructor(name: string, args: ContainersArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mailstack:index:Containers", name, {}, opts);
    const { topology, ssh } = args;
    const child = { parent: this };
    const specs = containerSpecs(topology);

    // Runs the system ssh with the key and known_hosts files LocalSshAccess wrote; an unknown host
    // key fails. dependsOn holds the provider (and so every Docker step) until those files exist
    // and cloud-init has started Docker: the SDK registers a resource only after its dependencies.
    const provider = new docker.Provider(
      "vm-docker",
      { host: pulumi.interpolate`ssh://root@${ssh.host}`, sshOpts: args.dockerSsh.sshOpts },
      { ...child, dependsOn: [args.serverReady, args.dockerSsh.written] },
    );
    const onVm = { ...child, provider };

    const dirs = specs.flatMap((s) => s.dataDirs).sort((a, b) => (a.path < b.path ? -1 : 1));
    const prepare = new command.remote.Command(
      "prepare-volume",
      {
        connection: connectionOf(ssh),
        create: "sh -s",
        stdin: ["set -eu", ...dirs.map((d) => `install -d -m ${d.mode} -o ${d.uid} -g ${d.gid} '${d.path}'`)].join("\n") + "\n",
        triggers: [args.serverId],
      },
      { ...child, dependsOn: [args.serverReady] },
    );

    const network = new docker.Network(
      "mail-network",
      {
        name: MAIL_NETWORK.name,
        driver: "bridge",
        ipv6: true,
        ipamConfigs: [{ subnet: MAIL_NETWORK.ipv4Subnet }, { subnet: MAIL_NETWORK.ipv6Subnet }],
        labels: [serverIdentityLabel(args.serverId)],
      },
      // The name is fixed: the old network must go before the new one is created.
      { ...onVm, deleteBeforeReplace: true },
    );
    // Docker adds its own NAT rules for the new network; put the mail host's IPv6 SNAT back first.
    const egress = new command.remote.Command(
      "ipv6-egress",
      { connection: connectionOf(ssh), create: "systemctl restart mailstack-ipv6-egress.service", triggers: [network.id, args.serverId] },
      { ...child, dependsOn: [network] },
    );

    const pulled = Object.fromEntries(
      (Object.keys(PULLED_IMAGES) as (keyof typeof PULLED_IMAGES)[]).sort().map((k) => [
        k,
        // keepLocally: a replaced container must not lose its image halfway through.
        new docker.RemoteImage(`image-${k}`, { name: PULLED_IMAGES[k], keepLocally: true, triggers: { server: args.serverId } }, onVm),
      ]),
    ) as Record<keyof typeof PULLED_IMAGES, docker.RemoteImage>;

    const built = Object.fromEntries(
      BUILT_IMAGES.map((svc) => {
        const plan = imageBuildPlan(svc, topology);
        const build = new command.remote.Command(
          `build-image-${svc}`,
          { connection: connectionOf(ssh), create: "sh -s", stdin: plan.script, triggers: [plan.contentHash, args.serverId] },
          { ...child, dependsOn: [args.serverReady] },
        );
        return [svc, { tag: plan.tag, build }];
      }),
    ) as Record<(typeof BUILT_IMAGES)[number], { tag: string; build: command.remote.Command }>;

    const containers: Partial<Record<ServiceName, docker.Container>> = {};
    let database: pulumi.Resource | undefined;
    // PostgreSQL first: the database setup needs its container, and others wait for that setup.
    const ordered = [...specs.filter((s) => s.service === "postgres"), ...specs.filter((s) => s.service !== "postgres")];
    for (const spec of ordered) {
      const config = args.configs[spec.service];
      const image = "pulled" in spec.image ? pulled[spec.image.pulled].imageId : pulumi.output(built[spec.image.built].tag);
      const imageDeps = "pulled" in spec.image ? [pulled[spec.image.pulled]] : [built[spec.image.built].build];
      const waits = spec.waitsFor.map((w): pulumi.Resource => {
        if (w === "certificate") return args.certificateReady;
        if (database === undefined) throw new Error(`${spec.service} waits for the database, which is set up after the postgres container`);
        return database;
      });
      const env = Object.entries(spec.env).map(([k, v]) => `${k}=${v}`);
      const envs: pulumi.Input<pulumi.Input<string>[]> =
        spec.service === "postgres" ? pulumi.secret(args.postgresPassword.apply((p) => [...env, `POSTGRES_PASSWORD=${p}`])) : env;
      containers[spec.service] = new docker.Container(
        spec.service,
        {
          name: spec.service,
          hostname: spec.service,
          image,
          restart: "unless-stopped",
          envs,
          command: spec.command,
          mounts: spec.mounts.map((m) => ({ type: "bind", source: m.source, target: m.target, readOnly: m.readOnly })),
          networksAdvanced: [{ name: network.name, aliases: [spec.service] }],
          // TCP only: nothing here speaks UDP (Caddy's HTTP/3 is off), and the firewall opens none.
          ports: publishedDockerPorts(spec.ports, topology.publicBind),
          healthcheck: dockerHealthcheck(spec.healthcheck, { intervalSeconds: 30, timeoutSeconds: 5, startPeriodSeconds: 60, retries: 3 }),
          labels: [
            serverIdentityLabel(args.serverId),
            { label: CONFIG_HASH_LABEL, value: config.contentHash },
            { label: IMAGE_LABEL, value: "pulled" in spec.image ? PULLED_IMAGES[spec.image.pulled] : built[spec.image.built].tag },
          ],
          logDriver: "local",
        },
        // Named containers and published ports cannot exist twice: delete the old one first.
        { ...onVm, deleteBeforeReplace: true, dependsOn: [prepare, egress, config.push, ...imageDeps, ...waits] },
      );
      if (spec.service === "postgres") database = args.databaseSetup(containers.postgres as docker.Container);
    }
    this.containers = containers as Record<ServiceName, docker.Container>;
    this.registerOutputs({});
  }
}
