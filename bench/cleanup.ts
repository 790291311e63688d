/**
 * Everything the bench starts registers how to undo it here; main runs the list
 * (last started, first stopped) on success, failure and Ctrl+C alike, so no moto,
 * sls, proxy, temp dir or build folder outlives a run.
 */
interface Step {
  readonly name: string;
  readonly run: () => Promise<void> | void;
}

export class Cleanup {
  readonly #steps: Step[] = [];
  #running: Promise<void> | undefined;

  add(name: string, run: () => Promise<void> | void): void {
    this.#steps.push({ name, run });
  }

  /**
   * Runs every step registered so far, newest first; a failing step is reported and
   * the rest still run. Calls while it runs share it; later steps need a later call.
   */
  runAll(report: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Promise<void> {
    this.#running ??= (async () => {
      while (this.#steps.length > 0) {
        const step = this.#steps.pop() as Step;
        try {
          await withTimeout(Promise.resolve(step.run()), 20_000, step.name);
        } catch (error) {
          report(`bench: cleaning up ${step.name} failed: ${(error as Error).message}`);
        }
      }
    })().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
