// Pushes the rendered configuration files to the mail host (the VM over SSH, host key pinned, or
// this machine: HostAccess), one host step per service whose triggers are that service's content hash and the server id: a change to
// Dovecot's files re-runs only Dovecot's push, and a replaced server gets every push again. Each
// push first runs the daemon's own checker on the new files in the service's image and installs
// them only if it accepts them. Contents travel on stdin only, logging is off and stdout/stderr
// are secret. It renders nothing itself (components/core/render does) and starts no container.
import * as pulumi from "@pulumi/pulumi";
import type { MailConfig } from "./core/config/config";
import { renderServiceFiles, type RenderedFile } from "./core/render/render";
import type { ServiceSecrets } from "./core/render/secrets";
import type { ServiceName, Topology } from "./core/topology";
import { pushScript, serviceContentHash } from "./core/remote/pushScript";
import { hostConfigDir } from "./core/containers/hostLayout";
import { CONFIG_FILE_OWNER } from "./core/containers/serviceAccounts";
import { activeServices } from "./core/topology";
import type { HostAccess } from "./hostAccess";

export interface ConfigPushArgs {
  /** Validated stack config. */
  cfg: MailConfig;
  /** Where services listen and keep files; productionTopology on the VM. */
  topology: Topology;
  /** Internal passwords and DKIM keys (secret); rendered inside apply so files stay secret. */
  secrets: pulumi.Output<ServiceSecrets>;
  /** Where the files go: the VM over SSH, or this machine. */
  host: HostAccess;
  /** Per service: its image tag and build step; the push checks the files in that image. */
  images: Record<ServiceName, { tag: string; build: pulumi.Resource }>;
  /** VM only: cloud-init is done (the volume is mounted). */
  serverReady?: pulumi.Resource;
  /** The host's identity (the Hetzner server id on the VM): a new host gets every file pushed again. */
  serverId: pulumi.Input<string>;
  /**
   * The signing selector's DKIM records. Rspamd's files (which name the selector it signs with)
   * are pushed only after these exist, so a new selector never signs before its key is published.
   */
  signingKeysPublished?: pulumi.Resource[];
}

export class ConfigPush extends pulumi.ComponentResource {
  /** Per service: the push command (containers depend on it) and the hash of its files. */
  readonly services: Record<ServiceName, { push: pulumi.Resource; contentHash: pulumi.Output<string> }>;

  constructor(name: string, args: ConfigPushArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mailstack:index:ConfigPush", name, {}, opts);
    // Rendered inside apply with the secret inputs, so every file stays a Pulumi secret.
    const files: pulumi.Output<RenderedFile[]> = pulumi.secret(args.secrets.apply((s) => renderServiceFiles(args.cfg, s, args.topology)));
    // A stack without backups has no backup container, so nothing to push for it.
    const services = activeServices(args.cfg).sort();
    const entries = services.map((service) => {
      const own = files.apply((fs) => fs.filter((f) => f.service === service));
      // A SHA-256 over files holding random passwords reveals none of them; unsecret it so a
      // preview shows which service changed instead of "[secret]".
      const contentHash = pulumi.unsecret(own.apply(serviceContentHash));
      const push = args.host.run(
        `push-config-${service}`,
        {
          create: "sh -s",
          stdin: pulumi.secret(
            own.apply((fs) =>
              pushScript(service, fs, CONFIG_FILE_OWNER[service], {
                dir: hostConfigDir(args.topology, service),
                check: { imageTag: args.images[service].tag, configDir: args.topology.configDirs[service] },
              }),
            ),
          ),
          triggers: [contentHash, args.serverId],
          logging: "none",
        },
        // stdout, stderr and stdin are made secret by the host step itself (logging "none":
        // vmHost adds them to additionalSecretOutputs; HostCommand keeps stdin secret).
        {
          parent: this,
          dependsOn: [
            ...(args.serverReady ? [args.serverReady] : []),
            args.images[service].build,
            ...(service === "rspamd" ? (args.signingKeysPublished ?? []) : []),
          ],
        },
      );
      return [service, { push, contentHash }] as const;
    });
    this.services = Object.fromEntries(entries) as ConfigPush["services"];
    this.registerOutputs({});
  }
}
