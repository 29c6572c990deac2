// What pulumi-command 1.2.1 (pulumi/pulumi-command, a native provider) stores for local and
// remote commands and when it replaces one. Sources: provider/cmd/pulumi-resource-command/
// schema.json (`triggers` is replaceOnChanges on command:remote:Command and command:local:Command)
// and provider/pkg/provider/{local,remote}/command*.go (stdout and stderr are outputs; any other
// input change runs `update`, or `create` again when no `update` is given). Pure.
import type { ResourceModel } from "./model";

export const command: ResourceModel = {
  readBack: (inputs, computed) => ({ ...inputs, ...computed }),
  computed: ["stdout", "stderr"],
  replaceOnChanges: ["triggers"],
};

export const localCommand: ResourceModel = {
  readBack: (inputs, computed) => ({ ...inputs, ...computed }),
  computed: ["stdout", "stderr", "archive", "assets"],
  replaceOnChanges: ["triggers"],
};

/**
 * HostCommand (components/hostCommand.ts), our dynamic resource for an existing host: create
 * returns its inputs as its state, and its diff replaces on any change of these five inputs.
 * Measured with the real engine: a second `up` leaves every HostCommand unchanged.
 */
export const hostCommand: ResourceModel = {
  readBack: (inputs, computed) => ({ ...inputs, ...computed }),
  computed: [],
  replaceOnChanges: ["create", "stdin", "environment", "triggers", "logging"],
};
