/**
 * The window sweep (`--window-sweep 0,1,2,5`): the pipeline phase again, once per
 * batching window, each on a fresh moto and proxy and with `--sweep-records` records,
 * everything else as the pipeline phase's settings say. A window under 1 s takes
 * batches of at most 10 (AWS's rule, settings.ts), so window 0 runs with batches of 10.
 */
import { batchSizeForWindow, type PipelineSettings, usesShippedDefaults } from './args.js';
import type { Cleanup } from './cleanup.js';
import { startRecordedEmulator } from './emulator.js';
import { type PipelineResult, runPipeline } from './pipeline.js';

export interface SweepRun {
  readonly window: number;
  readonly batchSize: number;
  readonly usesShippedDefaults: boolean;
  /** The run's result, or why there is none. */
  readonly result: PipelineResult | { readonly error: string };
}

export async function measureWindowSweep(options: {
  readonly windows: readonly number[];
  readonly records: number;
  readonly settings: PipelineSettings;
  readonly cleanup: Cleanup;
  readonly say: (line: string) => void;
}): Promise<SweepRun[]> {
  const { cleanup, say } = options;
  const runs: SweepRun[] = [];
  for (const window of options.windows) {
    const batchSize = batchSizeForWindow(options.settings.batchSize, window);
    const settings: PipelineSettings = { ...options.settings, records: options.records, window, batchSize };
    say(`window sweep: window ${window} s, batch size ${batchSize}, ${options.records} records…`);
    let result: SweepRun['result'];
    try {
      const { moto, proxy } = await startRecordedEmulator(cleanup, say);
      result = await runPipeline({ motoUrl: moto.url, motoPid: moto.child.pid, proxy, cleanup, say }, settings);
      say(
        `window sweep: window ${window} s: ${(result.requests / result.records).toFixed(3)} requests/record, ` +
          `p50 ${(result.latencyMs.p50 / 1000).toFixed(2)} s, ${result.recordsPerS.toFixed(1)} records/s` +
          (result.failure === undefined ? '' : `, FAILED: ${result.failure}`),
      );
    } catch (error) {
      result = { error: (error as Error).message };
      say(`window sweep: window ${window} s failed: ${result.error}`);
    } finally {
      await cleanup.runAll(say);
    }
    runs.push({ window, batchSize, usesShippedDefaults: usesShippedDefaults(settings), result });
  }
  return runs;
}
