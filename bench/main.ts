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
 * 6. the metric handler's cost per record after 1k vs 100k records of history;
 * 7. maintain's compaction of a minute's rows into a 10k vs a 1M-row log;
 * 8. the join table's contention: 1, 2, 4 and 8 concurrent writers;
 * 9. the deployable bundles (sizes, init time);
 * 10. the plot CLI on a million rows vs pandas + matplotlib.
 *
 * `--only depth` (or any list of phases) runs just those; `--skip-…` leaves one out.
 *
 * Prints a table, writes logs/bench.json (or --output), and exits non-zero if the
 * pipeline lost or doubled rows or a phase failed. Everything it starts is stopped
 * and removed on the way out, Ctrl+C included.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { MAX_RECORDS_PER_MESSAGE } from '../functions/commons/messaging/messageSchemas.js';
import { isGiven, readLocalSetting } from '../infra/local/settings.js';
import { PROJECT_DIR } from '../infra/local/toolbox/localDefaults.js';
import { runApi } from './api.js';
import { type BenchOptions, type BenchPhase, parseBenchArgs, skipReason, UsageError, usage } from './args.js';
import { measureBundles } from './bundles.js';
import { measureBurst } from './burst.js';
import { Cleanup } from './cleanup.js';
import { measureCompactionCost } from './compactionCost.js';
import { startRecordedEmulator } from './emulator.js';
import { measureEmulatorCapacity } from './emulatorCapacity.js';
import { measureEmulatorDepth } from './emulatorDepth.js';
import { measureMetricCost } from './metricCost.js';
import { runPipeline } from './pipeline.js';
import { measurePlotCli } from './plotCli.js';
import { descendants } from './procfs.js';
import { buildReport, COMPACTION_LOG_ROWS, CONTENTION_WRITERS, formatTable, type MachineInfo, type Phase, tableRows } from './report.js';
import { round } from './stats.js';
import { measureTableContention } from './tableContention.js';
import { measureWindowSweep } from './windowSweep.js';

function say(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

function machineInfo(): MachineInfo {
  let moto = 'unknown';
  try {
    moto = execFileSync('python3', ['-c', 'import moto; print(moto.__version__)'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    // no moto on this python: the emulator phases will say so
  }
  return {
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model ?? 'unknown',
    memory_gb: round(totalmem() / 1024 ** 3, 1),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    moto,
    date: new Date().toISOString(),
    load_average_at_start: loadavg().map((load) => round(load, 2)),
  };
}

async function bench(options: BenchOptions, cleanup: Cleanup): Promise<number> {
  const started = performance.now();
  const machine = machineInfo();
  say(`${machine.cpus} cpus, node ${machine.node}, moto ${machine.moto}`);
  const [load] = machine.load_average_at_start;
  if (load !== undefined && load > machine.cpus / 2) {
    say(`note: the load average is ${load} before starting: other work on this machine will skew the figures`);
  }
  /** Runs a phase unless skipped; a failure is the phase's result, and whatever it started is stopped after it. */
  async function phase<T>(name: string, which: BenchPhase, run: () => Promise<T>): Promise<Phase<T>> {
    const skip = skipReason(options, which);
    if (skip !== undefined) {
      say(`${name}: skipped (${skip})`);
      return { skipped: skip };
    }
    try {
      return { ok: await run() };
    } catch (error) {
      const message = (error as Error).message ?? String(error);
      say(`${name} failed: ${message}`);
      return { error: message };
    } finally {
      if (which !== 'capacity') await cleanup.runAll(say);
    }
  }
  const onChild = (stop: () => void) => cleanup.add('child process', stop);

  // The storm first, on a stack of its own, before anything else loads the machine.
  const burst = await phase('burst', 'burst', () =>
    measureBurst({
      runs: options.burstRuns,
      recordsPerRun: options.burstRecordsPerRun,
      timeoutSeconds: options.timeoutSeconds,
      cleanup,
      say,
    }),
  );

  // One moto and proxy for the capacity and the pipeline; the bench's own calls go to moto directly.
  let emulator: ReturnType<typeof startRecordedEmulator> | undefined;
  const startEmulator = () => {
    emulator ??= startRecordedEmulator(cleanup, say);
    return emulator;
  };
  const capacity = await phase('emulator capacity', 'capacity', async () => {
    const { moto } = await startEmulator();
    say(`emulator capacity: ${options.capacityRecords} records through raw send/receive/delete cycles…`);
    const result = await measureEmulatorCapacity(moto.url, options.capacityRecords, 1);
    say(
      `emulator capacity: ${result.recordsPerS.toFixed(1)} records/s (${result.requests} requests in ${(result.wallMs / 1000).toFixed(1)} s)`,
    );
    return result;
  });
  const pipeline = await phase('pipeline', 'pipeline', async () => {
    const { moto, proxy } = await startEmulator();
    const result = await runPipeline({ motoUrl: moto.url, motoPid: moto.child.pid, proxy, cleanup, say }, options);
    say(
      result.failure === undefined
        ? `pipeline: ${result.records} records in ${result.wallS.toFixed(1)} s (${result.recordsPerS.toFixed(1)}/s), ` +
            `${(result.requests / result.records).toFixed(3)} requests/record, metric_log.csv holds each id once`
        : `pipeline FAILED: ${result.failure}`,
    );
    return result;
  });
  // Skipped, the pipeline left the emulator running for nobody.
  await cleanup.runAll(say);
  const api = await phase('api', 'api', async () => {
    const { moto, proxy } = await startRecordedEmulator(cleanup, say);
    const result = await runApi({ motoUrl: moto.url, motoPid: moto.child.pid, proxy, cleanup, say }, options);
    say(
      result.failure === undefined
        ? `api: ${result.records} records in ${result.wallS.toFixed(1)} s (${result.recordsPerS.toFixed(1)}/s; ` +
            `sending alone ${result.sendRecordsPerS.toFixed(1)}/s), metric_log.csv holds each id once`
        : `api FAILED: ${result.failure}`,
    );
    return result;
  });
  const windowSweep = await phase('window sweep', 'window-sweep', () =>
    measureWindowSweep({ windows: options.windowSweep, records: options.sweepRecords, settings: options, cleanup, say }),
  );

  const depth = await phase('emulator depth', 'depth', () =>
    measureEmulatorDepth({
      depth: options.depthMessages,
      plainDepth: options.plainDepthMessages,
      repeats: options.depthRepeats,
      say,
      onEmulator: (name, stop) => cleanup.add(name, stop),
    }),
  );
  const metricCost = await phase('metric cost', 'metric-cost', () =>
    measureMetricCost({ records: options.metricCostRecords, repeats: options.metricCostRepeats, cleanup, say, onChild }),
  );
  const onEmulator = (stop: () => Promise<void>) => cleanup.add('moto', stop);
  const compactionCost = await phase('compaction cost', 'compaction-cost', async () => {
    say(`compaction cost: logs of ${COMPACTION_LOG_ROWS.join(' and ')} rows, ${options.compactionRounds} rounds of 600 rows each…`);
    const result = await measureCompactionCost({
      logRows: COMPACTION_LOG_ROWS,
      rowsPerRound: 600,
      rounds: options.compactionRounds,
      onEmulator,
    });
    for (const cost of result) {
      say(
        `compaction cost: ${cost.logRows} rows: ${cost.msPerRound.toFixed(0)} ms (S3 ${cost.s3MsPerRound.toFixed(0)} ms), ${cost.bytesPerRound} bytes a round`,
      );
    }
    return result;
  });
  const contention = await phase('table contention', 'contention', async () => {
    say(`table contention: ${CONTENTION_WRITERS.join(', ')} writers, ${options.contentionSeconds} s × ${options.contentionRepeats} each…`);
    const result = await measureTableContention({
      writers: CONTENTION_WRITERS,
      halvesPerCommit: options.batchSize * MAX_RECORDS_PER_MESSAGE,
      secondsPerRun: options.contentionSeconds,
      repeats: options.contentionRepeats,
      onEmulator,
    });
    for (const run of result) {
      say(
        `table contention: ${run.writers} writers: ${run.recordsPerSecond.toFixed(0)} records/s, ${run.conflictRetriesPerCommit.toFixed(2)} retries/commit`,
      );
    }
    return result;
  });
  const bundles = await phase('bundles', 'bundles', () => measureBundles({ cleanup, say }));
  const plot = await phase('plot cli', 'plot', () => measurePlotCli({ rows: options.plotRows, cleanup, say, onChild }));

  const benchWallS = (performance.now() - started) / 1000;
  const report = buildReport({
    options,
    machine,
    burst,
    capacity,
    pipeline,
    api,
    windowSweep,
    depth,
    metricCost,
    compactionCost,
    contention,
    bundles,
    plot,
    benchWallS,
  });
  const output = isAbsolute(options.output) ? options.output : join(PROJECT_DIR, options.output);
  mkdirSync(dirname(output), { recursive: true });
  writeFileSync(output, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`\n${formatTable(tableRows(report))}\n\n`);
  say(`wrote ${output} (${report.bench_wall_s.toFixed(0)} s in all)`);
  for (const failure of report.failures ?? []) say(`FAILED: ${failure}`);
  return report.status === 'ok' ? 0 : 1;
}

async function main(): Promise<void> {
  // The SDK's notice that its 2027 releases need Node 22 (the lockfile pins ours) would land mid-progress.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let options: BenchOptions | undefined;
  try {
    options = parseBenchArgs();
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

main().catch((error: Error) => {
  say(error.stack ?? error.message);
  process.exit(1);
});
