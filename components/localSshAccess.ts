// Gives this machine's `pulumi up` SSH access to the VM's Docker engine in the same run that
// creates the VM: a local command writes the deploy private key (from stdin, mode 0600) and a
// known_hosts line with the VM's pinned host key into .pulumi-ssh/<stack>/, and the Docker provider
// is configured to use exactly those files. No agent and no ~/.ssh/known_hosts edit is needed.
// It never touches the VM, and the key stays a secret in state (stdin and outputs are secret,
// logging is off). Paths and script text come from components/core/localSshAccess.ts.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import {
  dockerSshOpts,
  knownHostsLine,
  localSshPaths,
  removeLocalSshAccessScript,
  writeLocalSshAccessScript,
  type LocalSshPaths,
} from "./core/host/localSshAccess";
import type { SshAccess } from "./sshConnection";

export class LocalSshAccess extends pulumi.ComponentResource {
  readonly paths: LocalSshPaths;
  /** For docker.Provider's `sshOpts`: plain, machine-independent strings. */
  readonly sshOpts: string[];
  /** The files are in place once this completes; the Docker provider depends on it. */
  readonly written: command.local.Command;

  constructor(name: string, ssh: SshAccess, opts?: pulumi.ComponentResourceOptions) {
    super("mailstack:index:LocalSshAccess", name, {}, opts);
    this.paths = localSshPaths(pulumi.getStack());
    this.sshOpts = dockerSshOpts(this.paths);
    const paths = this.paths;
    // No triggers: a new key, address or host key changes `create`/`stdin`, which re-runs the
    // script in place. A replacement would run `delete` after the new create and remove the files.
    this.written = new command.local.Command(
      "write-ssh-access",
      {
        create: pulumi.all([ssh.host, ssh.hostKey]).apply(([host, hostKey]) => writeLocalSshAccessScript(paths, knownHostsLine(host, hostKey))),
        delete: removeLocalSshAccessScript(paths),
        stdin: pulumi.secret(ssh.privateKey),
        logging: "none",
      },
      { parent: this, additionalSecretOutputs: ["stdin", "stdout", "stderr"] },
    );
    this.registerOutputs({});
  }
}
