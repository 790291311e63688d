/**
 * `npm run bench`'s work (main.ts reads the command line and handles signals): the
 * phases main.ts lists, the table, logs/bench.json. Loaded by main.ts once the command
 * line is read, so --help answers without the SDK, esbuild and the rest.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { MAX_RECORDS_PER_MESSAGE } from '../functions/commons/messaging/messageSchemas.js';
import { PROJECT_DIR } from '../infra/local/toolbox/localDefaults.js';
import { runApi } from './api.js';
import { type BenchOptions, type BenchPhase, skipReason } from './args.js';
import { measureBundles } from './bundles.js';
import { measureBurst } from './burst.js';
import type { Cleanup } from './cleanup.js';
import { measureCompactionCost } from './compactionCost.js';
import { startRecordedEmulator } from './emulator.js';
import { measureEmulatorCapacity } from './emulatorCapacity.js';
import { measureEmulatorDepth } from './emulatorDepth.js';
import { measureHistory } from './history.js';
import { measureFeatureCost, measureMetricCost } from './metricCost.js';
import { runPipeline } from './pipeline.js';
import { measurePlotCli } from './plotCli.js';
import { say } from './progress.js';
import { buildReport, COMPACTION_LOG_ROWS, CONTENTION_WRITERS, formatTable, type MachineInfo, type Phase, tableRows } from './report.js';
import { round } from './stats.js';
import { measureTableContention } from './tableContention.js';
import { measureWindowSweep } from './windowSweep.js';

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

export async function bench(options: BenchOptions, cleanup: Cleanup): Promise<number> {
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
  const featureCost = await phase('feature cost', 'feature-cost', async () => {
    const result = await measureFeatureCost({
      records: options.metricCostRecords,
      repeats: options.metricCostRepeats,
      pairs: options.featureCostPairs,
      labelLag: options.featureLabelLag,
      cleanup,
      say,
      onChild,
    });
    say(
      `feature cost: with ten features ÷ without, per record: metric ${result.ratios.metricTime.toFixed(3)} ` +
        `(S3 bytes ${result.ratios.metricS3Bytes.toFixed(3)}), maintain ${result.ratios.maintainTime.toFixed(3)}`,
    );
    return result;
  });
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
  const history = await phase('history', 'history', () =>
    measureHistory({
      rows: options.historyRows,
      repeats: options.historyRepeats,
      rounds: options.historyRounds,
      rowsPerOrphan: options.historyRowsPerOrphan,
      cleanup,
      say,
      onChild,
      onEmulator,
    }),
  );

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
    featureCost,
    compactionCost,
    contention,
    bundles,
    plot,
    history,
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
