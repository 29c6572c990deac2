// Whatever the bench starts (helper processes, the bench stack) is stopped exactly once, on every
// way out: the normal end, an error, or Ctrl-C / SIGTERM (Node would otherwise exit without
// running any `finally`, leaving the stack up). Helpers stop in reverse order of start, then the
// stack itself is taken down through the runner; a failing step is reported and the rest still run.
export class Teardown {
  private readonly steps: { what: string; run: () => Promise<void> }[] = [];
  private done: Promise<void> | undefined;

  constructor(
    private readonly stopStack: () => Promise<void>,
    private readonly log: (l: string) => void,
  ) {}

  add(what: string, run: () => Promise<void>): void {
    this.steps.push({ what, run });
  }

  /** Runs every step once; later calls wait for the same run. */
  run(): Promise<void> {
    this.done ??= (async () => {
      for (const s of [...this.steps].reverse()) {
        try {
          await s.run();
        } catch (e) {
          this.log(`  stopping ${s.what} failed: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      await this.stopStack();
    })();
    return this.done;
  }

  /**
   * On SIGINT/SIGTERM: tear down, then exit with the signal's conventional status. A repeated
   * signal (a second Ctrl-C, or a wrapper relaying the first) must not cut the teardown short, so
   * the handler stays installed and only the first signal starts it.
   */
  onSignals(): void {
    let caught = false;
    for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
      process.on(signal, () => {
        if (caught) return;
        caught = true;
        this.log(`${signal}: stopping the bench stack before exiting`);
        void this.run()
          .catch((e: unknown) => this.log(`stopping the bench stack failed: ${e instanceof Error ? e.message : String(e)}; run: npm run local -- down`))
          .finally(() => process.exit(code));
      });
    }
  }
}
