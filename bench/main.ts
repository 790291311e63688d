/**
 * `npm run bench -- --records N`: how the pipeline does under load, on this machine.
 *
 * 1. (`--burst RUNS` only) the storm, on a stack of its own with the shipped defaults;
 * 2. moto on a free port with the recording proxy in front of it, and the emulator's
 *    own capacity (raw send/receive/delete cycles, straight to moto);
 * 3. the real pipeline (sls offline, real handlers, our event source) against the
 *    proxy, N records on the shipped batch size and window unless flags say otherwise,
 *    every row followed to the log and checked in metric_log.csv;
 *    then the HTTP ingestion API (`api`): the same stack on a fresh moto and proxy,
 *    `--api-records` truths and predictions sent as `npm run ingest` sends them;
 * 4. (`--window-sweep 0,1,2,5` only) the same again at each batching window;
 * 5. the emulator's cost per SQS request at depth 0 vs 10,000 (fresh emulators: the
 *    wrapper, and plain moto_server for comparison);
 * 6. the metric handler's cost per record after 1k vs 100k records of history, then
 *    `metric` and `maintain` per record with ten features per prediction vs none;
 * 7. maintain's compaction of a minute's rows into a 10k vs a 1M-row log;
 * 8. the join table's contention: 1, 2, 4 and 8 concurrent writers;
 * 9. the deployable bundles (sizes, init time);
 * 10. the plot CLI on a million rows vs pandas + matplotlib;
 * 11. histories of 1M and 10M rows (`--history-rows`), built by the product's own
 *     migration: maintain's cold start and peak RSS, a minute's append, plot's cold
 *     start and the dashboard's first load at each, and their ratios.
 *
 * `--only depth` (or any list of phases) runs just those; `--skip-…` leaves one out.
 *
 * Prints a table, writes logs/bench.json (or --output), and exits non-zero if the
 * pipeline lost or doubled rows or a phase failed. Everything it starts is stopped
 * and removed on the way out, Ctrl+C included. This file reads the command line and
 * handles signals; the work is in bench.ts, loaded after, so --help answers at once.
 */
import { isGiven, readLocalSetting } from '../infra/local/settings.js';
import { type BenchOptions, parseBenchArgs, UsageError, usage } from './args.js';
import { Cleanup } from './cleanup.js';
import { descendants } from './procfs.js';
import { say } from './progress.js';

/** `npm run bench -- [flags]`: runs the phases, writes logs/bench.json, exits with its status. */
export async function main(args: string[] = process.argv.slice(2)): Promise<void> {
  // The SDK's notice that its 2027 releases need Node 22 (the lockfile pins ours) would land mid-progress.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let options: BenchOptions | undefined;
  try {
    options = parseBenchArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  if (options === undefined) {
    process.stdout.write(`${usage()}\n`);
    return;
  }
  // sls offline inherits this shell's FUNCTION_TIMEOUT unless --function-timeout says otherwise: report what applies.
  if (options.functionTimeout === undefined && isGiven('functionTimeoutSeconds')) {
    options = { ...options, functionTimeout: readLocalSetting('functionTimeoutSeconds') };
  }
  const cleanup = new Cleanup();
  let interrupted = false;
  const interrupt = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    say(`${signal}: stopping everything the bench started…`);
    void cleanup.runAll(say).finally(() => {
      // A part that was still starting (its stop not registered yet) must not outlive us either.
      for (const pid of descendants(process.pid)) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => interrupt(signal));
  try {
    const { bench } = await import('./bench.js');
    process.exitCode = await bench(options, cleanup);
  } catch (error) {
    say(`failed: ${(error as Error).stack ?? String(error)}`);
    process.exitCode = 1;
  } finally {
    await cleanup.runAll(say);
  }
  // Keep-alive sockets and SDK clients must not hold the process open.
  process.exit(process.exitCode ?? 0);
}

if (require.main === module) {
  main().catch((error: Error) => {
    say(error.stack ?? error.message);
    process.exit(1);
  });
}
