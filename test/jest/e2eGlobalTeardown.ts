// Jest global teardown of the e2e project: stops the stack the global setup started.
import { downE2eStack } from "./localStackCli";

export default async function e2eGlobalTeardown(): Promise<void> {
  await downE2eStack();
}
