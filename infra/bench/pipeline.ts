/**
 * Phase 3: the real pipeline under load. The whole stack (sls offline with the real
 * handlers, our SQS event source, the bootstrap plugin, the embedded renderer) runs
 * against the recording proxy in front of moto; features is invoked through the
 * Lambda endpoint until N records are out, paced so moto's queues stay shallow
 * (moto recounts a queue for every message it sends or receives, so its cost grows
 * with depth); the bench follows every id to its durable row in a log segment,
 * then has plot compact the log and checks metric_log.csv holds each id once.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { LOGS } from '../../functions/commons/logs/logFiles.js';
import { parseMetricLog } from '../../functions/commons/logs/rowFormat.js';
import { emittedAt } from '../../functions/commons/messaging/recordIds.js';
import { getText } from '../../functions/commons/storage/s3Objects.js';
import { localS3, localSqs } from '../cloud/localClients.js';
import { findFreePort } from '../cloud/net.js';
import { PROJECT_DIR, startStack } from '../stack.js';
import { plannedEmission } from './args.js';
import type { Cleanup } from './cleanup.js';
import { findChild, hwmMb, PeakSampler, rssMb, treeRssMb } from './procfs.js';
import { ProgressPrinter, progressLine } from './progress.js';
import type { OperationStats, RecordingProxy } from './recordingProxy.js';
import { OfflineConsole } from './slsOutput.js';
import { latencyPercentiles, type Percentiles } from './stats.js';

export const BUCKET = 'ml-monitor-dev';
const QUEUES = ['features', 'y_true', 'y_pred'] as const;
type QueueName = (typeof QUEUES)[number];

export interface PipelineSettings {
  readonly records: number;
  readonly recordsPerRun: number;
  readonly batchSize: number;
  readonly window: number;
  readonly pollers: number;
  readonly waitTimeSeconds: number;
  readonly maxDepth: number;
  readonly timeoutSeconds: number;
  readonly functionTimeout?: number | undefined;
  /** Where to copy sls offline's console (with timestamps), if anywhere. */
  readonly slsLog?: string | undefined;
}

export interface PipelineContext {
  /** moto itself: the bench's own monitoring goes here, uncounted. */
  readonly motoUrl: string;
  readonly motoPid: number | undefined;
  /** The counting proxy in front of moto: the stack's AWS_ENDPOINT_URL. */
  readonly proxy: RecordingProxy;
  readonly cleanup: Cleanup;
  readonly say: (line: string) => void;
}

export interface PipelineResult {
  readonly complete: boolean;
  readonly records: number;
  readonly emitted: number;
  readonly rowsSeen: number;
  readonly recordsPerS: number;
  readonly wallS: number;
  readonly stackStartS: number;
  readonly latencyMs: Percentiles & { readonly max: number; readonly mean: number };
  readonly requests: number;
  readonly requestsPerRecord: number;
  readonly requestsByOperation: Readonly<Record<string, OperationStats>>;
  readonly invocations: number;
  readonly invocationsPerRecord: number;
  readonly invocationsByFunction: Readonly<Record<string, { invocations: number; totalDurationMs: number; meanDurationMs: number }>>;
  readonly batchesByQueue: Readonly<Record<string, { batches: number; messages: number; meanBatch: number; failedBatches: number }>>;
  readonly maxQueueDepth: number;
  readonly maxQueueDepthByQueue: Readonly<Record<QueueName, number>>;
  readonly peakRssMb: number | undefined;
  readonly pipelineTreePeakRssMb: number | undefined;
  readonly pipelineLifetimePeakRssMb: number | undefined;
  readonly emulatorPeakRssMb: number | undefined;
  readonly benchProcessPeakRssMb: number | undefined;
  readonly segmentWrites: number;
  readonly duplicateSegmentIds: number;
  readonly plotInvocations: number;
  /** features runs that took over 10 s (stalls), with their durations. */
  readonly slowFeaturesRuns: readonly { readonly run: number; readonly ms: number }[];
  readonly metricLog: {
    readonly rows: number;
    readonly distinctIds: number;
    readonly missing: number;
    readonly doubled: number;
    readonly unexpected: number;
  };
  readonly problems: readonly string[];
  readonly failure?: string;
}

interface Invoker {
  invoke<T>(functionName: string, payload?: unknown): Promise<T>;
}

function invoker(lambdaEndpoint: string): Invoker {
  return {
    async invoke<T>(functionName: string, payload: unknown = {}): Promise<T> {
      const url = `${lambdaEndpoint}/2015-03-31/functions/ml-monitor-dev-${functionName}/invocations`;
      const response = await fetch(url, { method: 'POST', body: JSON.stringify(payload) });
      const text = await response.text();
      if (!response.ok || response.headers.get('x-amz-function-error'))
        throw new Error(`invoking ${functionName}: ${describeInvokeError(response.status, text)}`);
      return JSON.parse(text) as T;
    },
  };
}

/** The error message of a failed invocation (serverless-offline sends the stack trace too), with a hint for a timeout. */
export function describeInvokeError(status: number, body: string): string {
  let message = body.slice(0, 300);
  try {
    const parsed = JSON.parse(body) as { errorMessage?: unknown; Message?: unknown };
    if (typeof parsed.errorMessage === 'string') message = parsed.errorMessage;
    else if (typeof parsed.Message === 'string') message = parsed.Message;
  } catch {
    // not JSON: keep the start of the body
  }
  const hint = /timeout/i.test(message)
    ? ' (the function ran past FUNCTION_TIMEOUT; lines above naming a request that waited on the emulator say where)'
    : '';
  return `${status} ${message}${hint}`;
}

/** Depth as moto counts it for its own cost: visible and in-flight messages. */
async function queueDepth(sqs: SQSClient, url: string): Promise<number> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
}

/** How often the queues' depths are asked of moto (for pacing and max_queue_depth). */
const DEPTH_SAMPLE_MS = 500;
/** A features run taking this long is stalled, not slow: say so, and report it. */
const SLOW_INVOCATION_MS = 10_000;
/** Any request but a long poll (at most 20 s) taking this long is worth a line. */
const STUCK_AFTER_MS = 5_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runPipeline(context: PipelineContext, settings: PipelineSettings): Promise<PipelineResult> {
  const { proxy, cleanup, say } = context;
  const plan = plannedEmission(settings.records, settings.recordsPerRun);
  if (plan.records !== settings.records || plan.recordsPerRun !== settings.recordsPerRun) {
    say(`pipeline: ${plan.runs} features runs of ${plan.recordsPerRun} records = ${plan.records} records`);
  }

  // Ids → when their row became durable; filled by the proxy from segment writes.
  const seen = new Map<string, number>();
  let segmentWrites = 0;
  let duplicateSegmentIds = 0;
  proxy.onSegmentWrite = (write) => {
    segmentWrites++;
    for (const id of write.ids) {
      if (seen.has(id)) duplicateSegmentIds++;
      else seen.set(id, write.seenAt);
    }
  };

  const logsDir = await mkdtemp(join(tmpdir(), 'ml-monitor-bench-logs-'));
  cleanup.add('pipeline logs dir', () => rm(logsDir, { recursive: true, force: true }));
  const buildFolder = `.esbuild-bench-${process.pid}-${randomBytes(3).toString('hex')}`;
  cleanup.add('pipeline build folder', () => rm(join(PROJECT_DIR, buildFolder), { recursive: true, force: true }));
  const offline = new OfflineConsole();
  const slsLog = settings.slsLog === undefined ? undefined : createWriteStream(settings.slsLog, { flags: 'a' });
  cleanup.add('sls log', () => new Promise<void>((resolve) => (slsLog ? slsLog.end(() => resolve()) : resolve())));
  const [quickchartPort, lambdaPort] = [await findFreePort(), await findFreePort()];

  say(`pipeline: starting the stack (sls offline, build folder ${buildFolder})…`);
  const stackStarted = performance.now();
  const stack = await startStack({
    awsEndpoint: proxy.url,
    quickchartUrl: `http://127.0.0.1:${quickchartPort}`,
    lambdaPort,
    logsDir,
    env: {
      SCHEDULES_ENABLED: 'false',
      // The bench's own moto: the name the check below reads, whatever this shell says.
      BUCKET_NAME: BUCKET,
      RECORDS_PER_RUN: String(plan.recordsPerRun),
      SQS_BATCH_SIZE: String(settings.batchSize),
      SQS_BATCHING_WINDOW: String(settings.window),
      SQS_POLLERS: String(settings.pollers),
      SQS_WAIT_TIME_SECONDS: String(settings.waitTimeSeconds),
      ESBUILD_WORK_FOLDER: buildFolder,
      LOG_LEVEL: 'WARN',
      ...(settings.functionTimeout === undefined ? {} : { FUNCTION_TIMEOUT: String(settings.functionTimeout) }),
      // Diagnosing a stuck invocation: node's own http/net debug lines from sls and its workers (into --sls-log).
      ...(process.env.BENCH_SLS_NODE_DEBUG ? { NODE_DEBUG: process.env.BENCH_SLS_NODE_DEBUG } : {}),
    },
    onOutput: (chunk) => {
      offline.push(chunk);
      slsLog?.write(`${new Date().toISOString()} ${chunk}`);
    },
    onNotice: (line) => say(`stack: ${line}`),
  });
  cleanup.add('the stack (sls offline, renderer)', () => stack.stop());
  const stackStartS = (performance.now() - stackStarted) / 1000;
  say(`pipeline: stack ready in ${stackStartS.toFixed(1)} s`);

  const slsPid = findChild(process.pid, 'serverless.js');
  const sqs = localSqs(context.motoUrl);
  const s3 = localS3(context.motoUrl);
  cleanup.add('bench clients', () => {
    sqs.destroy();
    s3.destroy();
  });
  const urls = {} as Record<QueueName, string>;
  for (const name of QUEUES) urls[name] = (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl as string;
  const lambda = invoker(stack.lambdaEndpoint);

  // Measure from here: what starting the stack cost is not the pipeline's per-record cost.
  proxy.reset();
  offline.reset();

  // One sampler for pacing and for max_queue_depth: every call to moto costs it a recount of the queue.
  const depths: Record<QueueName, number> = { features: 0, y_true: 0, y_pred: 0 };
  const maxDepths: Record<QueueName, number> = { features: 0, y_true: 0, y_pred: 0 };
  let sampledAt = 0;
  let sampling = true;
  const depthSampler = (async () => {
    while (sampling) {
      const startedAt = Date.now();
      await Promise.all(
        QUEUES.map(async (name) => {
          const depth = await queueDepth(sqs, urls[name]).catch(() => undefined);
          if (depth === undefined) return;
          depths[name] = depth;
          maxDepths[name] = Math.max(maxDepths[name], depth);
        }),
      );
      sampledAt = startedAt;
      await sleep(DEPTH_SAMPLE_MS);
    }
  })();
  const memory = new PeakSampler({
    sls: () => (slsPid === undefined ? undefined : rssMb(slsPid)),
    slsTree: () => (slsPid === undefined ? undefined : treeRssMb(slsPid)),
    moto: () => (context.motoPid === undefined ? undefined : rssMb(context.motoPid)),
    bench: () => process.memoryUsage.rss() / 1024 / 1024,
  });
  memory.start(500);

  const emitted = new Map<string, number>();
  let firstEmission = Number.POSITIVE_INFINITY;
  let lastSeenAt = 0;
  const started = Date.now();
  const progress = new ProgressPrinter();
  const rowsSeen = () => {
    let count = 0;
    for (const id of emitted.keys()) if (seen.has(id)) count++;
    return count;
  };
  const reportedStuck = new Set<string>();
  const ticker = setInterval(() => {
    // A request the emulator sits on shows up here long before a function times out.
    for (const stuck of proxy.stuck(STUCK_AFTER_MS)) {
      if (stuck.operation === 'sqs:ReceiveMessage' || reportedStuck.has(stuck.operation)) continue;
      reportedStuck.add(stuck.operation);
      progress.done();
      say(`pipeline: a ${stuck.operation} request has waited ${(stuck.ageMs / 1000).toFixed(0)} s for the emulator`);
    }
    const rows = rowsSeen();
    const elapsedS = (Date.now() - started) / 1000;
    const since = Number.isFinite(firstEmission) ? (Date.now() - firstEmission) / 1000 : 0;
    progress.update(
      progressLine({
        emitted: emitted.size,
        planned: plan.records,
        rows,
        recordsPerS: since > 0 ? rows / since : 0,
        depth: Math.max(depths.features, depths.y_true, depths.y_pred),
        elapsedS,
      }),
    );
  }, 1_000);
  ticker.unref();

  let failure: string | undefined;
  const slowInvocations: { run: number; ms: number }[] = [];
  const deadline = started + settings.timeoutSeconds * 1000;
  try {
    // Emission, paced on all three queues' depths (sampled from moto directly): y_pred too, since a
    // deep y_pred makes each of its receives slower, which lets it grow further.
    for (let run = 0; run < plan.runs; run++) {
      // Only on a sample taken after the last run was sent, so a run is never invoked on stale depths.
      const lastInvoked = Date.now();
      while (sampledAt < lastInvoked || QUEUES.some((name) => depths[name] >= settings.maxDepth)) {
        if (Date.now() > deadline) throw new Error(`the queues stayed above --max-depth ${settings.maxDepth} until the timeout`);
        await sleep(50);
      }
      const invokedAt = Date.now();
      const slowNotice = setTimeout(() => {
        progress.done();
        say(`pipeline: features run ${run + 1} has been running for ${SLOW_INVOCATION_MS / 1000} s (usually well under 1 s)…`);
      }, SLOW_INVOCATION_MS);
      const result = await lambda.invoke<{ emitted: string[] }>('features').finally(() => clearTimeout(slowNotice));
      const tookMs = Date.now() - invokedAt;
      if (tookMs > SLOW_INVOCATION_MS) slowInvocations.push({ run: run + 1, ms: tookMs });
      for (const id of result.emitted) {
        const at = emittedAt(id);
        if (at === undefined) throw new Error(`features emitted an id not of the pipeline's format: ${id}`);
        if (emitted.has(id)) throw new Error(`features emitted id ${id} twice`);
        emitted.set(id, at);
        firstEmission = Math.min(firstEmission, at);
      }
      if (result.emitted.length !== plan.recordsPerRun) {
        throw new Error(`features emitted ${result.emitted.length} records, not RECORDS_PER_RUN=${plan.recordsPerRun}`);
      }
    }
    // Every id to a durable row.
    while (rowsSeen() < emitted.size) {
      if (Date.now() > deadline) {
        throw new Error(
          `timed out after ${settings.timeoutSeconds} s: ${rowsSeen()} of ${emitted.size} emitted records reached the log ` +
            '(raise --timeout, or look at the problems below)',
        );
      }
      await sleep(100);
    }
  } catch (error) {
    failure = (error as Error).message;
  } finally {
    clearInterval(ticker);
    progress.done();
  }
  for (const id of emitted.keys()) {
    const at = seen.get(id);
    if (at !== undefined) lastSeenAt = Math.max(lastSeenAt, at);
  }
  const wallS = (lastSeenAt - firstEmission) / 1000;

  // maintain compacts the segments into metric_log.csv (its requests count too); then check the file.
  let plotInvocations = 0;
  let metricLog = { rows: 0, distinctIds: 0, missing: emitted.size, doubled: 0, unexpected: 0 };
  if (failure === undefined) {
    for (let attempt = 1; attempt <= 5; attempt++) {
      await lambda.invoke('maintain');
      plotInvocations++;
      metricLog = await checkMetricLog(s3, emitted);
      // Compaction waits for a gap to fill; every row is already in a segment, so once is enough unless a write raced.
      if (metricLog.missing === 0 || metricLog.doubled > 0) break;
      await sleep(1_000);
    }
    if (metricLog.doubled > 0 || metricLog.missing > 0 || metricLog.unexpected > 0 || metricLog.rows !== emitted.size) {
      failure =
        `metric_log.csv holds ${metricLog.rows} rows for ${emitted.size} records: ${metricLog.missing} missing, ` +
        `${metricLog.doubled} doubled, ${metricLog.unexpected} not emitted by this run`;
    }
  }
  // The console reports an invocation just after it returns: let the last lines arrive.
  await sleep(500);
  const requestsByOperation = proxy.counts();
  const requests = proxy.totalRequests();
  const functions = offline.functions();
  const queues = offline.queues();
  sampling = false;
  await depthSampler;
  const peaks = memory.stop();

  const latencies: number[] = [];
  for (const [id, at] of emitted) {
    const seenAt = seen.get(id);
    if (seenAt !== undefined) latencies.push(seenAt - at);
  }
  const invocations = offline.invocations();
  const records = emitted.size;
  const sortedLatencies = latencyPercentiles(latencies);
  return {
    complete: failure === undefined,
    records,
    emitted: emitted.size,
    rowsSeen: rowsSeen(),
    recordsPerS: wallS > 0 ? rowsSeen() / wallS : Number.NaN,
    wallS,
    stackStartS,
    latencyMs: {
      ...sortedLatencies,
      max: latencies.reduce((max, value) => Math.max(max, value), 0),
      mean: latencies.length === 0 ? Number.NaN : latencies.reduce((sum, value) => sum + value, 0) / latencies.length,
    },
    requests,
    requestsPerRecord: records > 0 ? requests / records : Number.NaN,
    requestsByOperation,
    invocations,
    invocationsPerRecord: records > 0 ? invocations / records : Number.NaN,
    invocationsByFunction: Object.fromEntries(
      Object.entries(functions).map(([name, figures]) => [
        name,
        { ...figures, meanDurationMs: figures.invocations > 0 ? figures.totalDurationMs / figures.invocations : 0 },
      ]),
    ),
    batchesByQueue: Object.fromEntries(
      Object.entries(queues).map(([name, figures]) => [
        name,
        { ...figures, meanBatch: figures.batches > 0 ? figures.messages / figures.batches : 0 },
      ]),
    ),
    maxQueueDepth: Math.max(...Object.values(maxDepths)),
    maxQueueDepthByQueue: { ...maxDepths },
    peakRssMb: peaks.sls,
    pipelineTreePeakRssMb: peaks.slsTree,
    pipelineLifetimePeakRssMb: slsPid === undefined ? undefined : hwmMb(slsPid),
    emulatorPeakRssMb: peaks.moto,
    benchProcessPeakRssMb: peaks.bench,
    segmentWrites,
    duplicateSegmentIds,
    plotInvocations,
    slowFeaturesRuns: slowInvocations,
    metricLog,
    problems: offline.problems.slice(0, 50),
    ...(failure === undefined ? {} : { failure }),
  };
}

/** Reads metric_log.csv from moto and compares its ids with what was emitted. */
async function checkMetricLog(s3: ReturnType<typeof localS3>, emitted: ReadonlyMap<string, number>): Promise<PipelineResult['metricLog']> {
  const text = (await getText(s3, BUCKET, LOGS.metric_log.key))?.text ?? '';
  const rows = parseMetricLog(text);
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.id, (counts.get(row.id) ?? 0) + 1);
  let missing = 0;
  for (const id of emitted.keys()) if (!counts.has(id)) missing++;
  let doubled = 0;
  let unexpected = 0;
  for (const [id, count] of counts) {
    if (count > 1) doubled += count - 1;
    if (!emitted.has(id)) unexpected++;
  }
  return { rows: rows.length, distinctIds: counts.size, missing, doubled, unexpected };
}
