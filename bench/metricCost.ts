/**
 * Does the metric handler's cost per record grow with history? It must not: the join
 * table holds only what is in flight, and a run never touches the log itself.
 *
 * Each measurement runs in a child process of its own (`node --import tsx
 * bench/metricCost.ts --history K …`, printing one JSON line), because the
 * handlers read their configuration and create their S3 clients at import: a fresh
 * process gets a fresh moto, a fresh proxy and fresh modules. The child bootstraps the
 * template's resources, warms the handler up on 20,000 records and wipes the bucket, then
 * gives the bucket the state K records really leave: it
 * pushes K records through the real `metric` handler (SQS events of 100 halves, y_true
 * then y_pred) with the real `maintain` handler run every COMPACT_EVERY records (it
 * flushes the table's outbox, drops settled ids and appends the segments to
 * metric_log.csv, as its schedule would each minute). Then it times the handler on M
 * more records, counting its S3 traffic at the proxy, `repeats` times, each followed by
 * `maintain` (timed too: its cost per record is the run's time over the M rows it
 * appends); the figures are the medians.
 *
 * The feature cost phase (measureFeatureCost) uses the same children on a short history,
 * y_pred halves as the predictor sends them (its model version and the time) with and
 * without the ten diabetes features by name, the labels trailing their predictions so
 * that pending predictions wait in the join table, with what metric read in their
 * inputs, as they do in production.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { parseTable } from '../functions/commons/join/joinTable.js';
import { emittedAt, recordId } from '../functions/commons/messaging/recordIds.js';
import { namedFeatures, parseDataset } from '../functions/commons/model/dataset.js';
import { assertModel, modelVersion } from '../functions/commons/model/linearModel.js';
import modelArtefact from '../functions/commons/model/model.json';
import { BUCKET_KEYS } from '../functions/commons/storage/bucketKeys.js';
import { getText } from '../functions/commons/storage/s3Objects.js';
import type { MaintainResult } from '../functions/maintain.js';
import { type BootstrapPlan, bootstrap, planFromResources } from '../infra/local/cloud/bootstrap.js';
import { defaultsEnv, templateResources } from '../infra/local/cloud/bootstrapCli.js';
import { localS3, localSqs } from '../infra/local/cloud/localClients.js';
import { startMoto } from '../infra/local/cloud/moto.js';
import { findFreePort } from '../infra/local/cloud/net.js';
import { functionName, PROJECT_DIR } from '../infra/local/toolbox/localDefaults.js';
import { lastJsonLine, runChild } from './child.js';
import type { Cleanup } from './cleanup.js';
import { RecordingProxy } from './recordingProxy.js';
import { median } from './stats.js';

const HALVES_PER_EVENT = 100;
const METRIC = functionName('metric');

/** Records between two `maintain` runs while the history builds up (a busy minute's worth). */
export const COMPACT_EVERY = 5_000;
/** Records through the handler before the history, in every child alike: V8 has optimised its paths by then. */
const WARM_UP_RECORDS = 20_000;
/** Records per run id: recordId numbers at most 10,000 records per run. */
const RECORDS_PER_RUN_ID = 10_000;

export interface MetricCostRun {
  /** Records through the handler before this repeat (the history it ran on). */
  readonly history: number;
  /** The join table's size when the repeat started. */
  readonly tableBytes: number;
  readonly msPerRecord: number;
  readonly s3RequestsPerInvocation: number;
  readonly s3BytesPerRecord: number;
  /** The `maintain` run after the repeat (appending its M rows, the books, the documents) over M. */
  readonly maintainMsPerRecord: number;
}

export interface MetricCostMeasurement {
  /** Records pushed through metric and maintain before the measurement. */
  readonly history: number;
  /** Rows of metric_log.csv then. */
  readonly rows: number;
  readonly records: number;
  readonly runs: readonly MetricCostRun[];
  readonly medianMsPerRecord: number;
  readonly medianS3BytesPerRecord: number;
  readonly medianS3RequestsPerInvocation: number;
  readonly medianMaintainMsPerRecord: number;
}

// ---------------------------------------------------------------- pure helpers

/** A deterministic y_true/y_pred pair in the data set's range (25..346). */
export function syntheticPair(index: number): { yTrue: number; yPred: number } {
  const yTrue = 25 + ((index * 7919) % 322);
  const yPred = yTrue + (((index * 104729) % 2001) - 1000) / 17;
  return { yTrue, yPred };
}

function sqsRecord(queue: string, message: Record<string, unknown>): SQSRecord {
  const now = String(Date.now());
  return {
    messageId: randomUUID(),
    receiptHandle: randomUUID(),
    body: JSON.stringify(message),
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: now, SenderId: 'bench', ApproximateFirstReceiveTimestamp: now },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${queue}`,
    awsRegion: 'us-east-1',
  };
}

/** What a handler reads of its context (the logger's keys and the time left), for a fresh request id each call. */
function lambdaContext(name = METRIC): Context {
  const arn = `arn:aws:lambda:us-east-1:000000000000:function:${name}`;
  return {
    functionName: name,
    invokedFunctionArn: arn,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    getRemainingTimeInMillis: () => 30_000,
  } as Context;
}

/** `count` fresh ids from `first` on: a new run id each RECORDS_PER_RUN_ID records, as many features runs would. */
export function freshIds(first: number, count: number, emittedAtMs: number, runIds: Map<number, string>): string[] {
  return Array.from({ length: count }, (_, i) => {
    const index = first + i;
    const run = Math.floor(index / RECORDS_PER_RUN_ID);
    let runId = runIds.get(run);
    if (runId === undefined) {
      runId = (0x10000000 + run).toString(16);
      runIds.set(run, runId);
    }
    return recordId(emittedAtMs, runId, index % RECORDS_PER_RUN_ID);
  });
}

/** How the y_pred halves look and when their labels come. */
export interface PredictionShape {
  /** The model version each prediction names: the predictor's, so `maintain` finds its reference. */
  readonly model: string;
  /** Feature vectors, cycled through and sent by name as the predictor forwards them; undefined: y_pred as before issue 19. */
  readonly vectors?: readonly (readonly number[])[] | undefined;
  /** Chunks of 100 that the labels trail their predictions by. */
  readonly labelLag: number;
}

/** The feature cost phase's two kinds of y_pred halves. */
export const FEATURE_SHAPES = ['without', 'with'] as const;
export type FeatureShape = (typeof FEATURE_SHAPES)[number];

/**
 * The order of the halves' events, chunk by chunk. Without a lag, each chunk's labels
 * first, then its predictions (which complete the rows at once: the history phase's
 * shape). With one, each chunk's predictions, then the labels of the chunk `labelLag`
 * before: predictions wait in the join table, as they do while labels are late.
 */
export function halfOrder(chunks: number, labelLag?: number): (readonly ['y_true' | 'y_pred', number])[] {
  if (labelLag === undefined) return Array.from({ length: chunks }, (_, c) => [['y_true', c] as const, ['y_pred', c] as const]).flat();
  const order: (readonly ['y_true' | 'y_pred', number])[] = [];
  for (let c = 0; c < chunks; c++) {
    order.push(['y_pred', c]);
    if (c >= labelLag) order.push(['y_true', c - labelLag]);
  }
  for (let c = Math.max(0, chunks - labelLag); c < chunks; c++) order.push(['y_true', c]);
  return order;
}

/** A y_pred message as the predictor sends it for the record `index` (bare, as the history phase sends them, without a shape). */
export function predictionMessage(id: string, index: number, shape?: PredictionShape): Record<string, unknown> {
  const body = syntheticPair(index).yPred;
  if (shape === undefined) return { id, body };
  const vector = shape.vectors?.[index % shape.vectors.length];
  return {
    id,
    body,
    model: shape.model,
    timestamp: emittedAt(id) ?? Date.now(),
    ...(vector === undefined ? {} : { features: namedFeatures(vector) }),
  };
}

/** Events for `ids` (in halfOrder's order): SQS events of 100 halves each, y_true or y_pred. */
export function halfEvents(ids: readonly string[], firstIndex: number, shape?: PredictionShape): SQSEvent[] {
  return halfOrder(Math.ceil(ids.length / HALVES_PER_EVENT), shape?.labelLag).map(([kind, c]) => {
    const start = c * HALVES_PER_EVENT;
    const chunk = ids.slice(start, start + HALVES_PER_EVENT);
    return {
      Records: chunk.map((id, i) => {
        const index = firstIndex + start + i;
        const message = kind === 'y_true' ? { id, body: syntheticPair(index).yTrue } : predictionMessage(id, index, shape);
        return sqsRecord(kind, message);
      }),
    };
  });
}

// ---------------------------------------------------------------- the child

type Handler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
type Maintain = (event: unknown, context: Context) => Promise<MaintainResult>;

async function tableSize(s3: S3Client, bucket: string): Promise<{ bytes: number; nextSeq: number }> {
  const text = (await getText(s3, bucket, BUCKET_KEYS.joinTable))?.text;
  return text === undefined ? { bytes: 0, nextSeq: 1 } : { bytes: Buffer.byteLength(text), nextSeq: parseTable(text).nextSeq.metric_log };
}

/** Deletes every object in the bucket: what a warm-up left is no part of the history. */
async function emptyBucket(s3: S3Client, bucket: string): Promise<void> {
  for (;;) {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    const keys = (page.Contents ?? []).map((object) => ({ Key: object.Key as string }));
    if (keys.length === 0) return;
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
  }
}

/** The y_pred halves of a feature cost child: the predictor's model version, and the data set's rows as inputs or none. */
function predictionShape(shape: FeatureShape, labelLag: number): PredictionShape {
  const model = modelVersion(assertModel(modelArtefact));
  if (shape === 'without') return { model, labelLag };
  const rows = parseDataset(readFileSync(join(PROJECT_DIR, 'functions/commons/model/diabetes.csv'), 'utf8'));
  return { model, labelLag, vectors: rows.map((row) => row.features) };
}

async function runChildMeasurement(options: {
  history: number;
  records: number;
  repeats: number;
  planFile: string;
  shape?: PredictionShape | undefined;
}): Promise<MetricCostMeasurement> {
  const plan = JSON.parse(readFileSync(options.planFile, 'utf8')) as BootstrapPlan;
  const moto = await startMoto(await findFreePort());
  // Stopped by the parent (Ctrl+C, a failure elsewhere): take this moto down too.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void moto.stop().finally(() => process.exit(130)));
  }
  const proxy = await RecordingProxy.start({ target: moto.url });
  const s3 = localS3(moto.url);
  const sqs = localSqs(moto.url);
  try {
    const report = await bootstrap(plan, { sqs, s3 });
    const bucket = report.buckets[0];
    if (bucket === undefined) throw new Error('the template has no bucket');

    // The handlers read these at import: set them first, then load them.
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: proxy.url,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      BUCKET_NAME: bucket,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    });
    delete process.env.LOGS_DIR;
    const { handler } = (await import('../functions/metric.js')) as { handler: Handler };
    const call = async (event: SQSEvent) => {
      const response = await handler(event, lambdaContext());
      if (response.batchItemFailures.length > 0) throw new Error(`metric rejected ${response.batchItemFailures.length} halves`);
    };
    // Warm-up, the same for every history and then wiped: the first calls pay for connections, lazy SDK
    // loading and V8's optimisation of the handler's paths, none of which is per-record cost.
    const warmIds = freshIds(0, Math.max(options.records, WARM_UP_RECORDS), Date.now(), new Map());
    for (const event of halfEvents(warmIds, 0, options.shape)) await call(event);
    await emptyBucket(s3, bucket);
    // maintain after the wipe: its compactor reads the logs as the history leaves them.
    const { handler: maintainHandler } = (await import('../functions/maintain.js')) as { handler: Maintain };
    let rows = 0;
    /** Runs maintain; its time in ms. */
    const maintain = async () => {
      const started = performance.now();
      rows = (await maintainHandler(undefined, lambdaContext(functionName('maintain')))).rows;
      return performance.now() - started;
    };
    const runIds = new Map<number, string>();
    let pushed = 0;
    /** Pushes `count` records through metric; the handler's time in ms (building the events is the bench's, not metric's). */
    const push = async (count: number) => {
      const events = halfEvents(freshIds(pushed, count, Date.now(), runIds), pushed, options.shape);
      const started = performance.now();
      for (const event of events) await call(event);
      pushed += count;
      return performance.now() - started;
    };

    // The history: K records, maintain every COMPACT_EVERY (and once at the end), as the schedule would.
    while (pushed < options.history) {
      await push(Math.min(COMPACT_EVERY, options.history - pushed));
      await maintain();
    }
    if (rows !== options.history) throw new Error(`after ${options.history} records metric_log.csv holds ${rows} rows`);
    const history = pushed;
    const rowsBefore = rows;

    const runs: MetricCostRun[] = [];
    for (let repeat = 0; repeat < options.repeats; repeat++) {
      const before = await tableSize(s3, bucket);
      const historyNow = pushed;
      proxy.reset();
      const wallMs = await push(options.records);
      const s3Stats = Object.entries(proxy.counts()).filter(([operation]) => operation.startsWith('s3:'));
      const s3Requests = s3Stats.reduce((sum, [, stats]) => sum + stats.count, 0);
      const s3Bytes = s3Stats.reduce((sum, [, stats]) => sum + stats.requestBytes + stats.responseBytes, 0);
      // Every record must have become a row: the table moved on by exactly M lines.
      const after = await tableSize(s3, bucket);
      if (after.nextSeq !== before.nextSeq + options.records) {
        throw new Error(`expected the table at line ${before.nextSeq + options.records}, found ${after.nextSeq}`);
      }
      const maintainMs = await maintain();
      runs.push({
        history: historyNow,
        tableBytes: before.bytes,
        msPerRecord: wallMs / options.records,
        s3RequestsPerInvocation: s3Requests / ((2 * options.records) / HALVES_PER_EVENT),
        s3BytesPerRecord: s3Bytes / options.records,
        maintainMsPerRecord: maintainMs / options.records,
      });
    }
    if (rows !== pushed) throw new Error(`after ${pushed} records metric_log.csv holds ${rows} rows`);
    return {
      history,
      rows: rowsBefore,
      records: options.records,
      runs,
      medianMsPerRecord: median(runs.map((run) => run.msPerRecord)),
      medianS3BytesPerRecord: median(runs.map((run) => run.s3BytesPerRecord)),
      medianS3RequestsPerInvocation: median(runs.map((run) => run.s3RequestsPerInvocation)),
      medianMaintainMsPerRecord: median(runs.map((run) => run.maintainMsPerRecord)),
    };
  } finally {
    s3.destroy();
    sqs.destroy();
    await proxy.close();
    await moto.stop();
  }
}

// ---------------------------------------------------------------- the parent

export interface MetricCostOptions {
  readonly records: number;
  readonly repeats: number;
  readonly cleanup: Cleanup;
  readonly say: (line: string) => void;
  /** Children started, so Ctrl+C can stop one mid-measurement. */
  readonly onChild: (stop: () => void) => void;
}

export interface MetricCostResult {
  /** After 1,000 records, then after 100,000. */
  readonly measurements: readonly [MetricCostMeasurement, MetricCostMeasurement];
  /** Per-record wall time after 100k records ÷ after 1k: history alone. */
  readonly timeRatio: number;
  readonly bytesRatio: number;
}

/** A feature cost child's y_pred halves: which shape, and how many chunks of 100 the labels trail by. */
interface ChildShape {
  readonly shape: FeatureShape;
  readonly labelLag: number;
}

async function measureAt(
  history: number,
  planFile: string,
  options: MetricCostOptions,
  predictions?: ChildShape,
): Promise<MetricCostMeasurement> {
  const what = predictions === undefined ? 'metric cost' : `feature cost, ${predictions.shape} features`;
  options.say(`${what}: ${history} records of history (metric + maintain), then ${options.records} records × ${options.repeats}…`);
  const shapeArgs = predictions === undefined ? [] : ['--shape', predictions.shape, '--label-lag', predictions.labelLag];
  const args = ['--history', history, '--records', options.records, '--repeats', options.repeats, '--plan', planFile, ...shapeArgs].map(
    String,
  );
  const { stdout } = await runChild(
    process.execPath,
    ['--import', 'tsx', join(PROJECT_DIR, 'bench/metricCost.ts'), ...args],
    options.onChild,
  );
  const measurement = lastJsonLine<MetricCostMeasurement>(stdout, ['medianMsPerRecord', 'runs']);
  if (measurement === undefined) throw new Error(`the metric cost child (${args.join(' ')}) printed no result:\n${stdout.slice(-1_000)}`);
  options.say(
    `${what}: after ${history} records: metric ${measurement.medianMsPerRecord.toFixed(3)} ms/record, ` +
      `${Math.round(measurement.medianS3BytesPerRecord)} S3 bytes/record, ${measurement.medianS3RequestsPerInvocation.toFixed(2)} S3 requests/invocation; ` +
      `maintain ${measurement.medianMaintainMsPerRecord.toFixed(3)} ms/record`,
  );
  return measurement;
}

/** The template's resources in a file for the children, removed on the way out. */
async function writePlan(cleanup: Cleanup): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ml-monitor-bench-plan-'));
  cleanup.add('plan dir', () => rm(dir, { recursive: true, force: true }));
  const planFile = join(dir, 'plan.json');
  // The resources as serverless.yml's defaults declare them (not this shell's SQS_* settings).
  await writeFile(planFile, JSON.stringify(planFromResources(templateResources(defaultsEnv()))));
  return planFile;
}

export async function measureMetricCost(options: MetricCostOptions): Promise<MetricCostResult> {
  const planFile = await writePlan(options.cleanup);
  const small = await measureAt(1_000, planFile, options);
  const large = await measureAt(100_000, planFile, options);
  return {
    measurements: [small, large],
    timeRatio: large.medianMsPerRecord / small.medianMsPerRecord,
    bytesRatio: large.medianS3BytesPerRecord / small.medianS3BytesPerRecord,
  };
}

/**
 * History before a feature cost measurement: two maintain runs, so its paths (the
 * estimates and summaries among them) are warm, as metric's are after its warm-up.
 */
export const FEATURE_COST_HISTORY = 2 * COMPACT_EVERY;

export interface FeatureCostOptions extends MetricCostOptions {
  /** Pairs of children, one of each shape, the order alternating pair by pair. */
  readonly pairs: number;
  readonly labelLag: number;
}

export interface FeatureCostResult {
  readonly pairs: number;
  readonly labelLag: number;
  readonly history: number;
  /** Each pair's two measurements, in the order they ran. */
  readonly runs: readonly (readonly { readonly shape: FeatureShape; readonly measurement: MetricCostMeasurement }[])[];
  readonly ratios: FeatureCostRatios;
}

export interface FeatureCostRatios {
  /** The median over the children of each one's median, with features ÷ without: per record. */
  readonly metricTime: number;
  readonly metricS3Bytes: number;
  readonly maintainTime: number;
  /** Each pair's metric and maintain time ratio: the spread (a pair ran back to back, under much the same load). */
  readonly pairMetricTime: readonly number[];
  readonly pairMaintainTime: readonly number[];
}

/** Pair `i`'s order: alternating, so neither shape always runs first (on a warmer or a less loaded machine). */
export function pairOrder(i: number): readonly [FeatureShape, FeatureShape] {
  return i % 2 === 0 ? ['without', 'with'] : ['with', 'without'];
}

/** The ratios of the measurements with features to those without, from the pairs as they ran. */
export function featureCostRatios(
  runs: readonly (readonly { readonly shape: FeatureShape; readonly measurement: MetricCostMeasurement }[])[],
): FeatureCostRatios {
  const of = (shape: FeatureShape, pick: (m: MetricCostMeasurement) => number) =>
    runs.flatMap((pair) => pair.filter((run) => run.shape === shape).map((run) => pick(run.measurement)));
  const ratio = (pick: (m: MetricCostMeasurement) => number) => median(of('with', pick)) / median(of('without', pick));
  const pairRatios = (pick: (m: MetricCostMeasurement) => number) =>
    runs.map((pair) => {
      const [withRun, withoutRun] = (['with', 'without'] as const).map((shape) => pair.find((run) => run.shape === shape));
      return withRun && withoutRun ? pick(withRun.measurement) / pick(withoutRun.measurement) : Number.NaN;
    });
  const metricMs = (m: MetricCostMeasurement) => m.medianMsPerRecord;
  const maintainMs = (m: MetricCostMeasurement) => m.medianMaintainMsPerRecord;
  return {
    metricTime: ratio(metricMs),
    metricS3Bytes: ratio((m) => m.medianS3BytesPerRecord),
    maintainTime: ratio(maintainMs),
    pairMetricTime: pairRatios(metricMs),
    pairMaintainTime: pairRatios(maintainMs),
  };
}

/** metric and maintain per record with ten features per prediction against none, side by side. */
export async function measureFeatureCost(options: FeatureCostOptions): Promise<FeatureCostResult> {
  const planFile = await writePlan(options.cleanup);
  const runs: { shape: FeatureShape; measurement: MetricCostMeasurement }[][] = [];
  for (let i = 0; i < options.pairs; i++) {
    const pair: { shape: FeatureShape; measurement: MetricCostMeasurement }[] = [];
    for (const shape of pairOrder(i)) {
      pair.push({ shape, measurement: await measureAt(FEATURE_COST_HISTORY, planFile, options, { shape, labelLag: options.labelLag }) });
    }
    runs.push(pair);
  }
  return { pairs: options.pairs, labelLag: options.labelLag, history: FEATURE_COST_HISTORY, runs, ratios: featureCostRatios(runs) };
}

if (require.main === module) {
  const usage =
    'usage: node --import tsx bench/metricCost.ts --history K --records M --repeats R --plan <plan.json> [--shape without|with --label-lag L]';
  try {
    const { values } = parseArgs({
      options: {
        history: { type: 'string', default: '1000' },
        records: { type: 'string', default: '2000' },
        repeats: { type: 'string', default: '3' },
        plan: { type: 'string' },
        shape: { type: 'string' },
        'label-lag': { type: 'string', default: '0' },
      },
      strict: true,
    });
    const [history, records, repeats] = [values.history, values.records, values.repeats].map(Number) as [number, number, number];
    if (![history, records, repeats].every((n) => Number.isInteger(n) && n > 0) || !values.plan) throw new Error('bad arguments');
    const labelLag = Number(values['label-lag']);
    const shape = values.shape;
    if (shape !== undefined && (!(FEATURE_SHAPES as readonly string[]).includes(shape) || !Number.isInteger(labelLag) || labelLag < 0)) {
      throw new Error('bad arguments');
    }
    const predictions = shape === undefined ? undefined : predictionShape(shape as FeatureShape, labelLag);
    runChildMeasurement({ history, records, repeats, planFile: values.plan, shape: predictions })
      .then((result) => {
        process.stdout.write(`${JSON.stringify(result)}\n`);
        process.exit(0);
      })
      .catch((error: Error) => {
        console.error(`metric cost: ${error.stack ?? error.message}`);
        process.exit(1);
      });
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    process.exit(2);
  }
}
