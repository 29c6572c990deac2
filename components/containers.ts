// The containers on the mail host's Docker engine, reached through a docker.Provider (over ssh://
// on the VM, at unix:// on an existing host that is this machine): the service networks (one per
// edge of the isolation graph, topology.ts NETWORK_NAMES) and one
// container per service, each from the one container description
// (components/core/containers/containerSpecs.ts) that the local stack also runs, with the image
// our ImageBuilds built on the VM. Each container carries the content hash of its own rendered
// files in a label, so a config change replaces exactly that container, and the server id in
// another, so a replaced server gets the network and every container again (inputs shaped as the
// provider reads them back: core/containers/providerShapes.ts). Containers that need a
// certificate or the database schema at start are created only after those steps
// (ContainerSpec.waitsFor). It never renders or pushes files, builds no image, and never touches
// the server or DNS.
import { createHash } from "node:crypto";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { MailConfig } from "./core/config/config";
import { CONFIG_HASH_LABEL, containerSpecs, SERVICE_LABEL, type ContainerSpec } from "./core/containers/containerSpecs";
import { dataDirs } from "./core/containers/hostLayout";
import type { ImagePlans } from "./core/containers/images";
import { dockerHealthcheck, dockerPortsInReadBackOrder, qualifiedImageReference, serverIdentityLabel } from "./core/containers/providerShapes";
import { guardInstallScript } from "./core/host/hostFirewall";
import { NETWORK_NAMES, type NetworkName, type ServiceName, type Topology } from "./core/topology";
import type { HostAccess } from "./hostAccess";

export interface ContainersArgs {
  /** Validated stack config (the web names of the certificates). */
  cfg: MailConfig;
  /** productionTopology on the VM. */
  topology: Topology;
  /** The image plans ImageBuilds built; containers use their tags. */
  plans: ImagePlans;
  /** Per service image: the command that built it on the VM. */
  imageBuilds: Record<ServiceName, { build: pulumi.Resource }>;
  /** Where host steps run (the data folders): the VM over SSH, or this machine. */
  host: HostAccess;
  /**
   * The Docker provider: its name, the engine's address (ssh://root@<ip> on the VM), ssh options
   * (VM: the key and known_hosts files LocalSshAccess wrote) and what must exist before it is used.
   */
  docker: { name: string; host: pulumi.Input<string>; sshOpts?: string[]; ready: pulumi.Resource[] };
  /**
   * How containers are written for this engine: the log driver (unset: the engine's default;
   * podman has no "local") and whether image references are written fully qualified (an existing
   * host, which may run podman; see qualifiedImageReference).
   */
  engine?: ContainerEngineOptions;
  /** VM only: cloud-init is done (Docker runs, the volume is mounted). */
  serverReady?: pulumi.Resource;
  /** The host's identity (the Hetzner server id on the VM): in every trigger and as a label on every Docker resource. */
  serverId: pulumi.Input<string>;
  /** Per service: its config push (the container is created after it) and its files' hash. */
  configs: Record<ServiceName, { push: pulumi.Resource; contentHash: pulumi.Output<string> }>;
  /** The certificate hook has run once: the TLS folder holds a pair for every certificate name. */
  certificateReady: pulumi.Resource;
  /**
   * Called once with the postgres container; returns the step that creates roles, databases and
   * schema in it (components/mailboxes.ts). Containers that wait for "database" depend on it.
   */
  databaseSetup: (postgres: docker.Container) => pulumi.Resource;
}

export class Containers extends pulumi.ComponentResource {
  readonly containers: Record<ServiceName, docker.Container>;

  constructor(name: string, args: ContainersArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mailstack:index:Containers", name, {}, opts);
    const { topology } = args;
    const serverReady = args.serverReady ? [args.serverReady] : [];
    const child = { parent: this };
    const specs = containerSpecs(args.cfg, topology, args.plans).filter((s) => !s.testOnly);

    // On the VM it runs the system ssh with the key and known_hosts files LocalSshAccess wrote; an
    // unknown host key fails. dependsOn holds the provider (and so every Docker step) until those
    // files exist and cloud-init has started Docker: the SDK registers a resource only after its
    // dependencies.
    const provider = new docker.Provider(
      args.docker.name,
      { host: args.docker.host, ...(args.docker.sshOpts !== undefined ? { sshOpts: args.docker.sshOpts } : {}) },
      { ...child, dependsOn: [...serverReady, ...args.docker.ready] },
    );
    const onVm = { ...child, provider };

    const prepare = args.host.run(
      "prepare-volume",
      {
        create: "sh -s",
        stdin: ["set -eu", ...dataDirs(topology).map((d) => `install -d -m ${d.mode} -o ${d.uid} -g ${d.gid} '${d.path}'`)].join("\n") + "\n",
        triggers: [args.serverId],
      },
      { ...child, dependsOn: serverReady },
    );

    // The container guard (no metadata service, no routing between the networks) on a server of
    // any age, before any container runs; cloud-init installed it on new servers already. VM only:
    // the guard is nftables rules of ours on the VM; an existing host's firewall is the operator's,
    // so there it is skipped (Docker's own isolation of bridge networks still applies).
    const guardScript = guardInstallScript(topology);
    const guard =
      args.host.kind === "vm"
        ? [
            args.host.run(
              "container-guard",
              { create: "sh -s", stdin: guardScript, triggers: [createHash("sha256").update(guardScript).digest("hex"), args.serverId] },
              { ...child, dependsOn: serverReady },
            ),
          ]
        : [];

    const networks = Object.fromEntries(
      NETWORK_NAMES.map((n) => {
        const net = topology.networks[n];
        const resource = new docker.Network(
          // "mail-network": the name the one network of earlier versions had, so it stays.
          `${n}-network`,
          {
            name: net.name,
            driver: "bridge",
            // Set only when true: earlier states of the mail network have no `internal` input.
            ...(net.internal ? { internal: true } : {}),
            ipv6: net.ipv6Subnet !== undefined,
            ipamConfigs: [{ subnet: net.ipv4Subnet }, ...(net.ipv6Subnet !== undefined ? [{ subnet: net.ipv6Subnet }] : [])],
            labels: [serverIdentityLabel(args.serverId)],
          },
          // The name is fixed: the old network must go before the new one is created. ipamOptions is
          // never set here, but the provider stores what the engine reports after creating the network
          // (podman: {driver: "host-local"}; Docker Engine: nothing), and the field forces replacement:
          // without ignoreChanges every later `up` on podman would replace the network and, through
          // its name, every container (measured with the real provider, test/engine/existingHost.test.ts).
          { ...onVm, deleteBeforeReplace: true, ignoreChanges: ["ipamOptions"] },
        );
        return [n, resource];
      }),
    ) as Record<NetworkName, docker.Network>;
    // Docker adds its own NAT rules for a new network; put the VM's IPv6 SNAT back first. An
    // existing host has no such unit of ours: its IPv6 egress is the operator's.
    const egress =
      args.host.kind === "vm"
        ? [
            args.host.run(
              "ipv6-egress",
              { create: "systemctl restart mailstack-ipv6-egress.service", triggers: [networks.mail.id] },
              { ...child, dependsOn: [networks.mail] },
            ),
          ]
        : [];
    const networkNames = Object.fromEntries(NETWORK_NAMES.map((n) => [topology.networks[n].name, networks[n].name]));

    const containers: Partial<Record<ServiceName, docker.Container>> = {};
    let database: pulumi.Resource | undefined;
    // PostgreSQL first: the database setup needs its container, and others wait for that setup.
    const ordered = [...specs.filter((s) => s.service === "postgres"), ...specs.filter((s) => s.service !== "postgres")];
    for (const spec of ordered) {
      const service = spec.service as ServiceName;
      const config = args.configs[service];
      const waits = spec.waitsFor.map((w): pulumi.Resource => {
        if (w === "certificate") return args.certificateReady;
        if (database === undefined) throw new Error(`${spec.service} waits for the database, which is set up after the postgres container`);
        return database;
      });
      containers[service] = new docker.Container(
        service,
        containerArgs(spec, networkNames, config.contentHash, args.serverId, args.engine),
        // Named containers and published ports cannot exist twice: delete the old one first.
        {
          ...onVm,
          deleteBeforeReplace: true,
          dependsOn: [prepare, ...egress, ...guard, config.push, args.imageBuilds[service].build, ...waits, ...Object.values(networks)],
        },
      );
      if (service === "postgres") database = args.databaseSetup(containers.postgres as docker.Container);
    }
    this.containers = containers as Record<ServiceName, docker.Container>;
    this.registerOutputs({});
  }
}

export interface ContainerEngineOptions {
  logDriver?: string;
  qualifiedImages?: boolean;
}

/**
 * The docker.Container inputs of one spec: the VM twin of the local runner's create options.
 * `networkNames` maps each engine network name to the Network resource's name output, so the
 * container depends on its networks.
 */
export function containerArgs(
  spec: ContainerSpec,
  networkNames: Record<string, pulumi.Input<string>>,
  configHash: pulumi.Input<string>,
  serverId: pulumi.Input<string>,
  engine: ContainerEngineOptions = {},
): docker.ContainerArgs {
  const h = spec.healthcheck;
  return {
    name: spec.name,
    hostname: spec.service,
    image: engine.qualifiedImages === true ? qualifiedImageReference(spec.imageTag) : spec.imageTag,
    restart: spec.restart,
    envs: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
    ...(spec.command !== undefined ? { command: spec.command } : {}),
    mounts: spec.mounts.map((m) => ({ type: "bind", source: m.source, target: m.target, readOnly: m.readOnly })),
    ...(spec.networkMode !== undefined
      ? { networkMode: spec.networkMode }
      : {
          networksAdvanced: spec.networks.map((n) => {
            const name = networkNames[n.name];
            if (name === undefined) throw new Error(`${spec.service} joins network ${n.name}, which the stack does not create`);
            return { name, aliases: n.aliases, ...(n.ipv4Address !== undefined ? { ipv4Address: n.ipv4Address } : {}) };
          }),
        }),
    ...(spec.dns !== undefined ? { dns: spec.dns.servers, dnsOpts: spec.dns.options, ...(spec.dns.search.length > 0 ? { dnsSearches: spec.dns.search } : {}) } : {}),
    capabilities: { adds: spec.capabilities.add, drops: spec.capabilities.drop },
    // TCP only: nothing here speaks UDP, and the firewall opens none.
    ports: dockerPortsInReadBackOrder(spec.ports.map((p) => ({ internal: p.containerPort, external: p.hostPort, ip: p.hostIp, protocol: p.protocol }))),
    healthcheck: dockerHealthcheck(h.test, h),
    stopTimeout: spec.stopTimeoutSeconds,
    labels: [{ label: CONFIG_HASH_LABEL, value: configHash }, { label: SERVICE_LABEL, value: spec.service }, serverIdentityLabel(serverId)],
    ...(engine.logDriver !== undefined ? { logDriver: engine.logDriver } : {}),
  };
}
