// A shell step on the mail host when that host is the machine that runs `pulumi up` (an existing
// Docker host reached at unix://): the stand-in for @pulumi/command's remote.Command, whose
// provider plugin cannot be had here. A Pulumi dynamic resource: its provider runs in the
// `pulumi-nodejs` plugin (node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs, a Node
// process the engine starts; no Go plugin) and loads components/hostCommandRun.ts from this
// checkout through tsx. Semantics follow remote.Command as the VM components use it: the command
// runs on create, and again (as a replacement) whenever the command, its stdin, its environment
// or a trigger changes; deleting does nothing (a step's effects, files and data, stay on the host).
// stdin is always a secret: it carries rendered files and SQL with passwords.
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";

/** Resolved in the plugin's process; captured as a string when the provider is serialised. */
const RUN_MODULE = join(__dirname, "hostCommandRun.ts");

export interface HostCommandArgs {
  /** Shell text for `sh -c`. */
  create: pulumi.Input<string>;
  stdin?: pulumi.Input<string>;
  /** Added to the environment, e.g. DOCKER_HOST for the docker CLI the scripts call. */
  environment?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Any change re-runs the command. */
  triggers?: pulumi.Input<unknown>[];
  /** "none": a failure says only the exit status (the step's input holds secrets). */
  logging?: "none" | "stderr";
}

// Serialised into the state with each resource and run in the plugin: it may use only what it
// captures (RUN_MODULE, a string) and `require`.
const provider: pulumi.dynamic.ResourceProvider = {
  async diff(_id, olds, news) {
    const keys = ["create", "stdin", "environment", "triggers", "logging"];
    const changed = keys.filter((k) => JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null));
    return { changes: changed.length > 0, replaces: changed, deleteBeforeReplace: false };
  },
  async create(inputs) {
    const { require: load } = require("tsx/cjs/api") as { require: (id: string, from: string) => typeof import("./hostCommandRun") };
    await load(RUN_MODULE, RUN_MODULE).runHostCommand(inputs);
    return { id: `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`, outs: inputs };
  },
  async delete() {
    // Nothing to undo: files, images and data stay on the host, as with the VM's remote commands.
  },
};

export class HostCommand extends pulumi.dynamic.Resource {
  constructor(name: string, args: HostCommandArgs, opts?: pulumi.CustomResourceOptions) {
    const stdin = args.stdin === undefined ? undefined : pulumi.secret(args.stdin);
    super(provider, name, { ...args, stdin }, { ...opts, additionalSecretOutputs: ["stdin"] }, "mailstack", "HostCommand");
  }
}
