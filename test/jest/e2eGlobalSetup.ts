// Jest global setup of the e2e project: refuses to run e2e files side by side, then starts the
// e2e stack once for all of them. Jest runs it only when at least one e2e file is selected.
import { upE2eStack } from "./localStackCli";

export default async function e2eGlobalSetup(globalConfig: { maxWorkers: number }): Promise<void> {
  // Every e2e file drives the same stack, and disruptive/faults.test.ts stops its containers.
  if (globalConfig.maxWorkers > 1) {
    throw new Error("the e2e project runs one file at a time: use `npm test` or add --runInBand (-i)");
  }
  await upE2eStack();
}
