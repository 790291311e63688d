/**
 * `npm run bench -- --records N`: how the pipeline does under load, on this machine.
 *
 * 1. moto on a free port, the recording proxy in front of it;
 * 2. the emulator's own capacity (raw send/receive/delete cycles, straight to moto);
 * 3. the real pipeline (sls offline, real handlers, our event source) against the
 *    proxy, N records, every row followed to the log and checked in metric_log.csv;
 * 4. the emulator's cost per SQS request at depth 0 vs 10,000 (fresh emulators: the
 *    wrapper, and plain moto_server for comparison);
 * 5. the metric handler's cost per record with 1k vs 100k rows in the log;
 * 6. the deployable bundles (sizes, init time);
 * 7. the plot CLI on a million rows vs pandas + matplotlib.
 *
 * `--only depth` (or any list of phases) runs just those; `--skip-…` leaves one out.
 *
 * Prints a table, writes logs/bench.json (or --output), and exits non-zero if the
 * pipeline lost or doubled rows or a phase failed. Everything it starts is stopped
 * and removed on the way out, Ctrl+C included.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { planFromResources } from '../cloud/bootstrap.js';
import { defaultsEnv, templateResources } from '../cloud/bootstrapCli.js';
import { MotoMissingError, startMoto } from '../cloud/moto.js';
import { findFreePort } from '../cloud/net.js';
import { PROJECT_DIR } from '../toolbox/localDefaults.js';
import { type BenchOptions, parseBenchArgs, skipReason, UsageError, usage } from './args.js';
import { type BundlesResult, measureBundles } from './bundles.js';
import { type BurstResult, measureBurst } from './burst.js';
import { Cleanup } from './cleanup.js';
import { type CapacityResult, measureEmulatorCapacity } from './emulatorCapacity.js';
import { type DepthResult, measureEmulatorDepth } from './emulatorDepth.js';
import { type MetricCostResult, measureMetricCost } from './metricCost.js';
import { type PipelineResult, runPipeline } from './pipeline.js';
import { measurePlotCli, type PlotCliResult } from './plotCli.js';
import { descendants } from './procfs.js';
import { RecordingProxy } from './recordingProxy.js';
import { buildReport, formatTable, type MachineInfo, type Phase, tableRows } from './report.js';

function say(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

function motoVersion(): string {
  try {
    return execFileSync('python3', ['-c', 'import moto; print(moto.__version__)'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'unknown';
  }
}

function machineInfo(): MachineInfo {
  return {
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model ?? 'unknown',
    memory_gb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    moto: motoVersion(),
    date: new Date().toISOString(),
    load_average_at_start: loadavg().map((value) => Math.round(value * 100) / 100),
  };
}

async function phase<T>(name: string, skip: string | undefined, run: () => Promise<T | { skipped: string }>): Promise<Phase<T>> {
  if (skip !== undefined) {
    say(`${name}: skipped (${skip})`);
    return { skipped: skip };
  }
  try {
    const result = await run();
    if (typeof result === 'object' && result !== null && 'skipped' in result && Object.keys(result).length === 1) {
      say(`${name}: skipped (${(result as { skipped: string }).skipped})`);
      return { skipped: (result as { skipped: string }).skipped };
    }
    return { ok: result as T };
  } catch (error) {
    const message = error instanceof MotoMissingError ? error.message : ((error as Error).message ?? String(error));
    say(`${name} failed: ${message}`);
    return { error: message };
  }
}

async function bench(options: BenchOptions, cleanup: Cleanup, children: Set<() => void>): Promise<number> {
  const started = performance.now();
  const machine = machineInfo();
  const records = skipReason(options, 'pipeline') === undefined ? `; ${options.records} records` : '';
  say(`${machine.cpus} cpus, node ${machine.node}, moto ${machine.moto}${records}`);
  const [load] = machine.load_average_at_start;
  if (load !== undefined && load > machine.cpus / 2) {
    say(`note: the load average is ${load} before starting: other work on this machine will skew the figures`);
  }

  // The storm first, on a stack of its own, before anything else loads the machine.
  const burst: Phase<BurstResult> = await phase('burst', skipReason(options, 'burst'), () =>
    measureBurst({
      runs: options.burstRuns,
      recordsPerRun: options.burstRecordsPerRun,
      timeoutSeconds: options.timeoutSeconds,
      cleanup,
      say,
    }),
  );
  await cleanup.runAll(say);

  // One moto and proxy for phases 2 and 3; the bench's own calls go to moto directly.
  let moto: Awaited<ReturnType<typeof startMoto>> | undefined;
  let proxy: RecordingProxy | undefined;
  const skipCapacity = skipReason(options, 'capacity');
  const skipPipeline = skipReason(options, 'pipeline');
  const emulator = await phase(
    'emulator',
    skipCapacity !== undefined && skipPipeline !== undefined ? skipPipeline : undefined,
    async () => {
      moto = await startMoto(await findFreePort());
      cleanup.add('moto', () => moto?.stop());
      proxy = await RecordingProxy.start({ target: moto.url });
      cleanup.add('recording proxy', () => proxy?.close());
      say(`moto at ${moto.url} (pid ${moto.child.pid}), recording proxy at ${proxy.url}`);
      return true;
    },
  );
  // Without an emulator the pipeline cannot run: that is a failure of the bench, not a skip.
  const noEmulator = 'error' in emulator ? `no emulator: ${emulator.error}` : undefined;
  const failIfNoEmulator = async () => {
    if (noEmulator !== undefined) throw new Error(noEmulator);
  };

  const capacity: Phase<CapacityResult> = await phase('emulator capacity', skipCapacity, async () => {
    await failIfNoEmulator();
    say(`emulator capacity: ${options.capacityRecords} records through raw send/receive/delete cycles…`);
    const result = await measureEmulatorCapacity((moto as NonNullable<typeof moto>).url, options.capacityRecords, 1);
    say(
      `emulator capacity: ${result.recordsPerS.toFixed(1)} records/s (${result.requests} requests in ${(result.wallMs / 1000).toFixed(1)} s)`,
    );
    return result;
  });

  const pipeline: Phase<PipelineResult> = await phase('pipeline', skipPipeline, async () => {
    await failIfNoEmulator();
    const result = await runPipeline(
      {
        motoUrl: (moto as NonNullable<typeof moto>).url,
        motoPid: moto?.child.pid,
        proxy: proxy as RecordingProxy,
        cleanup,
        say,
      },
      options,
    );
    say(
      result.failure === undefined
        ? `pipeline: ${result.records} records in ${result.wallS.toFixed(1)} s (${result.recordsPerS.toFixed(1)}/s), ` +
            `${(result.requests / result.records).toFixed(3)} requests/record, metric_log.csv holds each id once`
        : `pipeline FAILED: ${result.failure}`,
    );
    return result;
  });
  // The stack, moto and proxy are done: stop them before the next phases measure anything.
  await cleanup.runAll(say);

  const depth: Phase<DepthResult> = await phase('emulator depth', skipReason(options, 'depth'), () =>
    measureEmulatorDepth({
      depth: options.depthMessages,
      plainDepth: options.plainDepthMessages,
      repeats: options.depthRepeats,
      say,
      onEmulator: (name, stop) => cleanup.add(name, stop),
    }),
  );
  await cleanup.runAll(say);

  const metricCost: Phase<MetricCostResult> = await phase('metric cost', skipReason(options, 'metric-cost'), async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ml-monitor-bench-plan-'));
    cleanup.add('plan dir', () => rm(dir, { recursive: true, force: true }));
    const planFile = join(dir, 'plan.json');
    // The resources as serverless.yml's defaults declare them (not this shell's SQS_* settings).
    await writeFile(planFile, JSON.stringify(planFromResources(templateResources(defaultsEnv()))));
    try {
      return await measureMetricCost({
        planFile,
        records: options.metricCostRecords,
        repeats: options.metricCostRepeats,
        say,
        onChild: (stop) => children.add(stop),
      });
    } finally {
      await cleanup.runOne('plan dir');
    }
  });

  const bundles: Phase<BundlesResult> = await phase('bundles', skipReason(options, 'bundles'), () => measureBundles({ cleanup, say }));

  const plot: Phase<PlotCliResult> = await phase('plot cli', skipReason(options, 'plot'), () =>
    measurePlotCli({ rows: options.plotRows, cleanup, say, onChild: (stop) => children.add(stop) }),
  );
  await cleanup.runAll(say);

  const report = buildReport({
    options,
    machine,
    burst,
    capacity,
    pipeline,
    depth,
    metricCost,
    bundles,
    plot,
    benchWallS: (performance.now() - started) / 1000,
  });
  const output = isAbsolute(options.output) ? options.output : join(PROJECT_DIR, options.output);
  mkdirSync(dirname(output), { recursive: true });
  writeFileSync(output, `${JSON.stringify(report, null, 2)}\n`);

  process.stdout.write(`\n${formatTable(tableRows(report))}\n\n`);
  say(`wrote ${output} (${report.bench_wall_s.toFixed(0)} s in all)`);
  if (report.status !== 'ok') {
    for (const failure of report.failures ?? []) say(`FAILED: ${failure}`);
    return 1;
  }
  return 0;
}

async function main(): Promise<void> {
  // The SDK's notice that its 2027 releases need Node 22 (the lockfile pins ours) would land mid-progress.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let options: BenchOptions | undefined;
  try {
    options = parseBenchArgs();
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  if (options === undefined) {
    process.stdout.write(`${usage()}\n`);
    return;
  }
  // sls offline inherits this shell's FUNCTION_TIMEOUT unless --function-timeout says otherwise: report what applies.
  if (options.functionTimeout === undefined && process.env.FUNCTION_TIMEOUT) {
    options = { ...options, functionTimeout: Number(process.env.FUNCTION_TIMEOUT) };
  }
  const cleanup = new Cleanup();
  const children = new Set<() => void>();
  let interrupted = false;
  const interrupt = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    say(`${signal}: stopping everything the bench started…`);
    for (const stop of children) stop();
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
    process.exitCode = await bench(options, cleanup, children);
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
  process.stderr.write(`[bench] ${error.stack ?? error.message}\n`);
  process.exit(1);
});
