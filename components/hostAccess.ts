// How the components run a shell step on the mail host, whichever host it is: the Hetzner VM over
// SSH (@pulumi/command's remote.Command with the pinned host key: what every VM step always
// used), or an existing Docker host that is the machine running `pulumi up` (HostCommand, run
// locally with DOCKER_HOST pointing at its engine). The steps themselves (push scripts, database
// setup, image builds, the certificate hook) are the same text on both; only the transport
// differs. Owns no resource of its own and no script text.
import * as command from "@pulumi/command";
import type * as pulumi from "@pulumi/pulumi";
import { HostCommand } from "./hostCommand";
import { connectionOf, type SshAccess } from "./sshConnection";

export interface HostStep {
  /** Shell text; `sh -s` with the script on stdin is the usual form. */
  create: pulumi.Input<string>;
  stdin?: pulumi.Input<string>;
  /** A change in any of them runs the step again. */
  triggers?: pulumi.Input<unknown>[];
  /** "none": the step's input holds secrets; neither its output nor its failure text is shown. */
  logging?: "none";
}

export interface HostAccess {
  /** "vm" (over SSH) or "existing" (this machine's engine). */
  kind: "vm" | "existing";
  /** Runs the step on create and whenever its command, stdin or triggers change. */
  run(name: string, step: HostStep, opts: pulumi.CustomResourceOptions): pulumi.Resource;
}

/** The VM: root over SSH, host key pinned; output and stdin are secret when logging is "none". */
export function vmHost(ssh: SshAccess): HostAccess {
  return {
    kind: "vm",
    run(name, step, opts) {
      const secret = step.logging === "none" ? { additionalSecretOutputs: ["stdout", "stderr", "stdin"] } : {};
      return new command.remote.Command(
        name,
        { connection: connectionOf(ssh), create: step.create, stdin: step.stdin, triggers: step.triggers, ...(step.logging ? { logging: step.logging } : {}) },
        { ...opts, ...secret },
      );
    },
  };
}

/**
 * The machine that runs `pulumi up`, whose Docker engine is at `dockerHost` (unix://): each step
 * runs with `sh -c` here, the scripts' `docker` commands going to that engine.
 */
export function thisMachine(dockerHost: string): HostAccess {
  return {
    kind: "existing",
    run(name, step, opts) {
      return new HostCommand(
        name,
        { create: step.create, stdin: step.stdin, triggers: step.triggers, environment: { DOCKER_HOST: dockerHost }, ...(step.logging ? { logging: step.logging } : {}) },
        opts,
      );
    },
  };
}
