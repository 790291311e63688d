/**
 * Phase 3: the real pipeline under load. The whole stack (sls offline with the real
 * handlers, our SQS event source, the bootstrap plugin, the embedded renderer) runs
 * against the recording proxy in front of moto, and the event source invokes the
 * functions through it, so requests and invocations are counted there. features is
 * invoked until N records are out, paced so moto's queues stay shallow (moto recounts
 * a queue for every message it sends or receives, so its cost grows with depth); the
 * bench follows every id to its durable row in a log segment, then has `maintain`
 * compact the log and checks metric_log.csv holds each id once.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { LOGS } from '../functions/commons/logs/logFiles.js';
import { parseMetricLog } from '../functions/commons/logs/rowFormat.js';
import { emittedAt } from '../functions/commons/messaging/recordIds.js';
import { getText } from '../functions/commons/storage/s3Objects.js';
import { localS3, localSqs } from '../infra/local/cloud/localClients.js';
import { findFreePort } from '../infra/local/cloud/net.js';
import { type RunningStack, startStack } from '../infra/local/supervisor.js';
import { invokeOrThrow } from '../infra/local/toolbox/invoke.js';
import { BUCKET, functionName, PROJECT_DIR } from '../infra/local/toolbox/localDefaults.js';
import { sleep } from '../infra/local/toolbox/retry.js';
import { type PipelineSettings, plannedEmission } from './args.js';
import type { Cleanup } from './cleanup.js';
import { PeakSampler, rssMb } from './procfs.js';
import { ProgressPrinter, progressLine } from './progress.js';
import { INVOKE_VIA, type InvocationStats, type OperationStats, type RecordingProxy } from './recordingProxy.js';
import { latencyPercentiles, type Percentiles } from './stats.js';

const QUEUES = ['features', 'y_true', 'y_pred'] as const;
type QueueName = (typeof QUEUES)[number];

export interface PipelineContext {
  /** moto itself: the bench's own monitoring goes here, uncounted. */
  readonly motoUrl: string;
  readonly motoPid: number | undefined;
  /** The counting proxy in front of moto: the stack's AWS_ENDPOINT_URL. */
  readonly proxy: RecordingProxy;
  readonly cleanup: Cleanup;
  readonly say: (line: string) => void;
}

export interface MetricLogCheck {
  readonly rows: number;
  readonly distinctIds: number;
  readonly missing: number;
  readonly doubled: number;
  readonly unexpected: number;
}

/** What a phase that follows records to their rows reports (the pipeline's, the api phase's). */
export interface FollowedRun {
  readonly records: number;
  readonly rowsSeen: number;
  readonly recordsPerS: number;
  readonly wallS: number;
  readonly stackStartS: number;
  readonly latencyMs: Percentiles;
  /** SQS and S3 by `service:operation`, counted at the proxy. */
  readonly requestsByOperation: Readonly<Record<string, OperationStats>>;
  /** By function key (`metric`), counted at the proxy. */
  readonly invocationsByFunction: Readonly<Record<string, InvocationStats>>;
  readonly maxQueueDepth: number;
  readonly segmentWrites: number;
  readonly duplicateSegmentIds: number;
  readonly metricLog: MetricLogCheck | undefined;
  /** Failed invocations, as their answers said (the first 50). */
  readonly problems: readonly string[];
  readonly failure?: string;
}

export interface PipelineResult extends FollowedRun {
  readonly requests: number;
  readonly peakRssMb: number | undefined;
  readonly emulatorPeakRssMb: number | undefined;
}

/** How often the queues' depths are asked of moto (for pacing and max_queue_depth). */
const DEPTH_SAMPLE_MS = 500;
/** A depth sample moto has not answered in this long is given up (and reported). */
const SAMPLE_TIMEOUT_MS = 5_000;
/** While rows are missing after the last features run, maintain runs this often (its schedule: each minute). */
const MAINTAIN_EVERY_MS = 60_000;
/** A features run taking this long is stalled, not slow: say so. */
const SLOW_INVOCATION_MS = 10_000;
/** Any request but a long poll (at most 20 s) taking this long is worth a line: an invocation too (a window gathers before it). */
const STUCK_AFTER_MS = 5_000;

/** When each id's row became durable, from the proxy's view of segment writes. */
export class RowClock {
  readonly seen = new Map<string, number>();
  writes = 0;
  duplicates = 0;

  readonly onSegmentWrite = (write: { seenAt: number; ids: readonly string[] }): void => {
    this.writes++;
    for (const id of write.ids) {
      if (this.seen.has(id)) this.duplicates++;
      else this.seen.set(id, write.seenAt);
    }
  };

  count(ids: Iterable<string>): number {
    let count = 0;
    for (const id of ids) if (this.seen.has(id)) count++;
    return count;
  }

  /** Each id's time from `sentAt` to its row (ids without a row left out), and when the last row came. */
  latencies(sentAt: ReadonlyMap<string, number>): { latencies: number[]; lastSeenAt: number } {
    const latencies: number[] = [];
    let lastSeenAt = 0;
    for (const [id, at] of sentAt) {
      const seenAt = this.seen.get(id);
      if (seenAt === undefined) continue;
      latencies.push(seenAt - at);
      lastSeenAt = Math.max(lastSeenAt, seenAt);
    }
    return { latencies, lastSeenAt };
  }
}

/** Samples the three queues' depths (visible + in flight, as moto counts them for its own cost) every DEPTH_SAMPLE_MS. */
export class QueueDepths {
  readonly now: Record<QueueName, number> = { features: 0, y_true: 0, y_pred: 0 };
  max = 0;
  /** Samples moto did not answer within SAMPLE_TIMEOUT_MS: which queue, when. */
  readonly unanswered: string[] = [];
  /** When the last sample started: pacing only trusts samples taken after its last invocation. */
  sampledAt = 0;
  #running = true;
  readonly #loop: Promise<void>;

  constructor(sqs: SQSClient, urls: Readonly<Record<QueueName, string>>) {
    this.#loop = (async () => {
      while (this.#running) {
        const startedAt = Date.now();
        await Promise.all(QUEUES.map(async (name) => this.#sample(sqs, name, urls[name])));
        this.sampledAt = startedAt;
        await sleep(DEPTH_SAMPLE_MS);
      }
    })();
  }

  async #sample(sqs: SQSClient, name: QueueName, url: string): Promise<void> {
    const attributes = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] as const;
    const command = new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: [...attributes] });
    // A sample moto does not answer must not freeze the pacing (and the progress line) with it: say so instead.
    const out = await sqs.send(command, { abortSignal: AbortSignal.timeout(SAMPLE_TIMEOUT_MS) }).catch((error: Error) => {
      if (error.name === 'AbortError' || error.name === 'TimeoutError') this.unanswered.push(`${name} at ${new Date().toISOString()}`);
      return undefined;
    });
    if (out === undefined) return;
    this.now[name] = attributes.reduce((sum, attribute) => sum + Number(out.Attributes?.[attribute] ?? 0), 0);
    this.max = Math.max(this.max, this.now[name]);
  }

  deepest(): number {
    return Math.max(...Object.values(this.now));
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }
}

/** The queues' depth sampler, asking moto itself (uncounted); its client is closed by `cleanup`. */
export async function sampleQueueDepths(context: PipelineContext): Promise<QueueDepths> {
  const sqs = localSqs(context.motoUrl);
  context.cleanup.add('bench SQS client', () => sqs.destroy());
  const urls = {} as Record<QueueName, string>;
  for (const name of QUEUES) urls[name] = (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl as string;
  return new QueueDepths(sqs, urls);
}

/**
 * Starts the stack against the proxy, with the event source invoking through it; also
 * the api phase's (api.ts), which sends to `httpUrl`, serverless-offline's HTTP port.
 */
export async function startPipelineStack(
  context: PipelineContext,
  settings: PipelineSettings,
  recordsPerRun: number,
  label = 'pipeline',
): Promise<{ stack: RunningStack; httpUrl: string }> {
  const { proxy, cleanup, say } = context;
  const logsDir = await mkdtemp(join(tmpdir(), 'ml-monitor-bench-logs-'));
  cleanup.add('pipeline logs dir', () => rm(logsDir, { recursive: true, force: true }));
  const buildFolder = `.esbuild-bench-${process.pid}-${randomBytes(3).toString('hex')}`;
  cleanup.add('pipeline build folder', () => rm(join(PROJECT_DIR, buildFolder), { recursive: true, force: true }));
  const slsLog = settings.slsLog === undefined ? undefined : createWriteStream(settings.slsLog, { flags: 'a' });
  cleanup.add('sls log', () => new Promise<void>((resolve) => (slsLog ? slsLog.end(() => resolve()) : resolve())));
  const [quickchartPort, lambdaPort, httpPort] = [await findFreePort(), await findFreePort(), await findFreePort()];
  proxy.routeInvocations(`http://127.0.0.1:${lambdaPort}`);

  say(`${label}: starting the stack (sls offline, build folder ${buildFolder})…`);
  const stack = await startStack({
    awsEndpoint: proxy.url,
    quickchartUrl: `http://127.0.0.1:${quickchartPort}`,
    lambdaPort,
    httpPort,
    logsDir,
    env: {
      SCHEDULES_ENABLED: 'false',
      // The bench's own moto: the name the check reads, whatever this shell says.
      BUCKET_NAME: BUCKET,
      RECORDS_PER_RUN: String(recordsPerRun),
      SQS_BATCH_SIZE: String(settings.batchSize),
      SQS_BATCHING_WINDOW: String(settings.window),
      SQS_POLLERS: String(settings.pollers),
      SQS_WAIT_TIME_SECONDS: String(settings.waitTimeSeconds),
      ESBUILD_WORK_FOLDER: buildFolder,
      LOG_LEVEL: 'WARN',
      [INVOKE_VIA]: proxy.url,
      ...(settings.functionTimeout === undefined ? {} : { FUNCTION_TIMEOUT: String(settings.functionTimeout) }),
    },
    onOutput: (chunk) => slsLog?.write(`${new Date().toISOString()} ${chunk}`),
    onNotice: (line) => say(`stack: ${line}`),
  });
  cleanup.add('the stack (sls offline, renderer)', () => stack.stop());
  return { stack, httpUrl: `http://127.0.0.1:${httpPort}` };
}

/** Invokes features `runs` times, each only once every queue is shallower than maxDepth; returns emission time by id. */
async function emit(
  runs: number,
  recordsPerRun: number,
  settings: PipelineSettings,
  {
    proxy,
    depths,
    emitted,
    say,
  }: { proxy: RecordingProxy; depths: QueueDepths; emitted: Map<string, number>; say: (line: string) => void },
  deadline: number,
): Promise<void> {
  for (let run = 1; run <= runs; run++) {
    // Only on a sample taken after the last run was sent, so a run is never invoked on stale depths.
    const lastInvoked = Date.now();
    while (depths.sampledAt < lastInvoked || depths.deepest() >= settings.maxDepth) {
      if (Date.now() > deadline) throw new Error(`the queues stayed above --max-depth ${settings.maxDepth} until the timeout`);
      await sleep(50);
    }
    const slowNotice = setTimeout(
      () => say(`pipeline: features run ${run} has been running for ${SLOW_INVOCATION_MS / 1000} s (usually well under 1 s)…`),
      SLOW_INVOCATION_MS,
    );
    const result = await invokeOrThrow<{ emitted: string[] }>(proxy.url, functionName('features')).finally(() => clearTimeout(slowNotice));
    for (const id of result.emitted) {
      const at = emittedAt(id);
      if (at === undefined) throw new Error(`features emitted an id not of the pipeline's format: ${id}`);
      if (emitted.has(id)) throw new Error(`features emitted id ${id} twice`);
      emitted.set(id, at);
    }
    if (result.emitted.length !== recordsPerRun) {
      throw new Error(`features emitted ${result.emitted.length} records, not RECORDS_PER_RUN=${recordsPerRun}`);
    }
  }
}

/** One progress line a second; says once per operation when a request (not a long poll) waits on the emulator. */
export function watchProgress(
  { proxy, depths, rows, say }: { proxy: RecordingProxy; depths: QueueDepths; rows: RowClock; say: (line: string) => void },
  emitted: ReadonlyMap<string, number>,
  planned: number,
) {
  const progress = new ProgressPrinter();
  const reported = new Set<string>();
  const started = Date.now();
  let unanswered = 0;
  const ticker = setInterval(() => {
    if (depths.unanswered.length > unanswered) {
      unanswered = depths.unanswered.length;
      progress.done();
      say(`pipeline: moto did not answer GetQueueAttributes within ${SAMPLE_TIMEOUT_MS / 1000} s (${depths.unanswered.at(-1)})`);
    }
    for (const stuck of proxy.stuck(STUCK_AFTER_MS)) {
      if (stuck.operation === 'sqs:ReceiveMessage' || reported.has(stuck.operation)) continue;
      reported.add(stuck.operation);
      progress.done();
      say(`pipeline: a ${stuck.operation} request has waited ${(stuck.ageMs / 1000).toFixed(0)} s for an answer`);
    }
    const seen = rows.count(emitted.keys());
    const first = Math.min(...emitted.values());
    const since = Number.isFinite(first) ? (Date.now() - first) / 1000 : 0;
    progress.update(
      progressLine({
        emitted: emitted.size,
        planned,
        rows: seen,
        recordsPerS: since > 0 ? seen / since : 0,
        depth: depths.deepest(),
        elapsedS: (Date.now() - started) / 1000,
      }),
    );
  }, 1_000);
  ticker.unref();
  return () => {
    clearInterval(ticker);
    progress.done();
  };
}

/**
 * Waits until every id of `ids` has its row in a segment; maintain runs each
 * MAINTAIN_EVERY_MS meanwhile, as its schedule (off in the bench) would. Throws at the deadline.
 */
async function waitForRows(
  { proxy, rows, say, label }: { proxy: RecordingProxy; rows: RowClock; say: (line: string) => void; label: string },
  ids: ReadonlyMap<string, number>,
  timeoutSeconds: number,
  deadline: number,
): Promise<void> {
  let maintainedAt = Date.now();
  while (rows.count(ids.keys()) < ids.size) {
    // The schedule is off: as it would each minute, maintain writes the segment of a batch a run committed but
    // did not write (an instance dropped mid-run), and orphans what must be.
    if (Date.now() - maintainedAt > MAINTAIN_EVERY_MS) {
      maintainedAt = Date.now();
      say(`${label}: ${ids.size - rows.count(ids.keys())} rows still missing: invoking maintain, as its schedule would`);
      await invokeOrThrow(proxy.url, functionName('maintain'));
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutSeconds} s: ${rows.count(ids.keys())} of ${ids.size} records ` +
          'reached the log (raise --timeout, or look at the problems in bench.json)',
      );
    }
    await sleep(100);
  }
}

/**
 * A phase's load and what follows it: `send` (features runs, or the API's requests;
 * it may answer why it fell short), then every id followed to its row (waitForRows),
 * maintain's compaction and metric_log.csv checked. Never throws: what went wrong is
 * the failure. The progress line and the depth sampler are stopped whatever happens.
 */
export async function sendAndFollow(
  context: Pick<PipelineContext, 'proxy' | 'motoUrl' | 'say'> & {
    rows: RowClock;
    depths: QueueDepths;
    label: string;
    stopProgress: () => void;
  },
  send: () => Promise<string | undefined>,
  ids: ReadonlyMap<string, number>,
  timeoutSeconds: number,
  deadline: number,
): Promise<{ metricLog?: MetricLogCheck; failure?: string }> {
  try {
    const shortfall = await send();
    if (shortfall !== undefined) return { failure: shortfall };
    await waitForRows(context, ids, timeoutSeconds, deadline);
    context.stopProgress();
    const metricLog = await compactAndCheck(context.proxy, context.motoUrl, ids);
    const failure = describeCheck(metricLog, ids.size);
    return failure === undefined ? { metricLog } : { metricLog, failure };
  } catch (error) {
    return { failure: (error as Error).message };
  } finally {
    context.stopProgress();
    await context.depths.stop();
  }
}

/** How metric_log.csv's ids compare with what was emitted. Pure. */
export function checkMetricLog(text: string, emitted: ReadonlyMap<string, number>): MetricLogCheck {
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

/** maintain compacts the segments into metric_log.csv (its requests count too); then the file must hold each id once. */
async function compactAndCheck(proxy: RecordingProxy, motoUrl: string, emitted: ReadonlyMap<string, number>): Promise<MetricLogCheck> {
  const s3 = localS3(motoUrl);
  try {
    let check = checkMetricLog('', emitted);
    // Compaction waits for a gap to fill; every row is already in a segment, so once is enough unless a write raced.
    for (let attempt = 1; attempt <= 5 && check.missing > 0 && check.doubled === 0; attempt++) {
      if (attempt > 1) await sleep(1_000);
      await invokeOrThrow(proxy.url, functionName('maintain'));
      check = checkMetricLog((await getText(s3, BUCKET, LOGS.metric_log.key))?.text ?? '', emitted);
    }
    return check;
  } finally {
    s3.destroy();
  }
}

function describeCheck(check: MetricLogCheck, records: number): string | undefined {
  if (check.doubled === 0 && check.missing === 0 && check.unexpected === 0 && check.rows === records) return undefined;
  return (
    `metric_log.csv holds ${check.rows} rows for ${records} records: ${check.missing} missing, ` +
    `${check.doubled} doubled, ${check.unexpected} not emitted by this run`
  );
}

/** The figures by function key, from the proxy's counts by deployed name. */
export function byFunctionKey(invocations: Readonly<Record<string, InvocationStats>>): Record<string, InvocationStats> {
  const prefix = functionName('');
  return Object.fromEntries(Object.entries(invocations).map(([name, stats]) => [name.replace(prefix, ''), stats]));
}

export async function runPipeline(context: PipelineContext, settings: PipelineSettings): Promise<PipelineResult> {
  const { proxy, say } = context;
  const plan = plannedEmission(settings.records, settings.recordsPerRun);
  if (plan.records !== settings.records)
    say(`pipeline: ${plan.runs} features runs of ${plan.recordsPerRun} records = ${plan.records} records`);
  const rows = new RowClock();
  proxy.onSegmentWrite = rows.onSegmentWrite;

  const stackStarted = performance.now();
  const { stack } = await startPipelineStack(context, settings, plan.recordsPerRun);
  const stackStartS = (performance.now() - stackStarted) / 1000;
  say(`pipeline: stack ready in ${stackStartS.toFixed(1)} s`);

  const depths = await sampleQueueDepths(context);
  const slsPid = stack.slsPid();
  const memory = new PeakSampler({
    sls: () => (slsPid === undefined ? undefined : rssMb(slsPid)),
    moto: () => (context.motoPid === undefined ? undefined : rssMb(context.motoPid)),
  });
  memory.start(500);

  // Measure from here: what starting the stack cost is not the pipeline's per-record cost.
  proxy.reset();
  const emitted = new Map<string, number>();
  const stopProgress = watchProgress({ proxy, depths, rows, say }, emitted, plan.records);
  const deadline = Date.now() + settings.timeoutSeconds * 1000;
  const { metricLog, failure } = await sendAndFollow(
    { ...context, rows, depths, label: 'pipeline', stopProgress },
    async () => {
      await emit(plan.runs, plan.recordsPerRun, settings, { proxy, depths, emitted, say }, deadline);
      return undefined;
    },
    emitted,
    settings.timeoutSeconds,
    deadline,
  );
  const peaks = memory.stop();

  const { latencies, lastSeenAt } = rows.latencies(emitted);
  const wallS = (lastSeenAt - Math.min(...emitted.values())) / 1000;
  return {
    records: emitted.size,
    rowsSeen: latencies.length,
    recordsPerS: wallS > 0 ? latencies.length / wallS : Number.NaN,
    wallS,
    stackStartS,
    latencyMs: latencyPercentiles(latencies),
    requests: proxy.totalRequests(),
    requestsByOperation: proxy.counts(),
    invocationsByFunction: byFunctionKey(proxy.invocations()),
    maxQueueDepth: depths.max,
    peakRssMb: peaks.sls,
    emulatorPeakRssMb: peaks.moto,
    segmentWrites: rows.writes,
    duplicateSegmentIds: rows.duplicates,
    metricLog,
    problems: proxy.errors(),
    ...(failure === undefined ? {} : { failure }),
  };
}
