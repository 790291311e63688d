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
 * more records, counting its S3 traffic at the proxy, `repeats` times (`maintain`
 * between them, untimed); the figures are the medians.
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
import { recordId } from '../functions/commons/messaging/recordIds.js';
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
}

// ---------------------------------------------------------------- pure helpers

/** A deterministic y_true/y_pred pair in the data set's range (25..346). */
export function syntheticPair(index: number): { yTrue: number; yPred: number } {
  const yTrue = 25 + ((index * 7919) % 322);
  const yPred = yTrue + (((index * 104729) % 2001) - 1000) / 17;
  return { yTrue, yPred };
}

function sqsRecord(queue: string, id: string, value: number): SQSRecord {
  const now = String(Date.now());
  return {
    messageId: randomUUID(),
    receiptHandle: randomUUID(),
    body: JSON.stringify({ id, body: value }),
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

/** Events for `ids`: per chunk of 100, the y_true halves, then the y_pred halves (which complete the rows). */
export function halfEvents(ids: readonly string[], firstIndex: number): SQSEvent[] {
  const events: SQSEvent[] = [];
  for (let start = 0; start < ids.length; start += HALVES_PER_EVENT) {
    const chunk = ids.slice(start, start + HALVES_PER_EVENT);
    const pairs = chunk.map((_, i) => syntheticPair(firstIndex + start + i));
    events.push({ Records: chunk.map((id, i) => sqsRecord('y_true', id, (pairs[i] as { yTrue: number }).yTrue)) });
    events.push({ Records: chunk.map((id, i) => sqsRecord('y_pred', id, (pairs[i] as { yPred: number }).yPred)) });
  }
  return events;
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

async function runChildMeasurement(options: {
  history: number;
  records: number;
  repeats: number;
  planFile: string;
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
    for (const event of halfEvents(warmIds, 0)) await call(event);
    await emptyBucket(s3, bucket);
    // maintain after the wipe: its compactor reads the logs as the history leaves them.
    const { handler: maintainHandler } = (await import('../functions/maintain.js')) as { handler: Maintain };
    let rows = 0;
    const maintain = async () => {
      rows = (await maintainHandler(undefined, lambdaContext(functionName('maintain')))).rows;
    };
    const runIds = new Map<number, string>();
    let pushed = 0;
    const push = async (count: number) => {
      const ids = freshIds(pushed, count, Date.now(), runIds);
      for (const event of halfEvents(ids, pushed)) await call(event);
      pushed += count;
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
      const started = performance.now();
      await push(options.records);
      const wallMs = performance.now() - started;
      const s3Stats = Object.entries(proxy.counts()).filter(([operation]) => operation.startsWith('s3:'));
      const s3Requests = s3Stats.reduce((sum, [, stats]) => sum + stats.count, 0);
      const s3Bytes = s3Stats.reduce((sum, [, stats]) => sum + stats.requestBytes + stats.responseBytes, 0);
      // Every record must have become a row: the table moved on by exactly M lines.
      const after = await tableSize(s3, bucket);
      if (after.nextSeq !== before.nextSeq + options.records) {
        throw new Error(`expected the table at line ${before.nextSeq + options.records}, found ${after.nextSeq}`);
      }
      runs.push({
        history: historyNow,
        tableBytes: before.bytes,
        msPerRecord: wallMs / options.records,
        s3RequestsPerInvocation: s3Requests / ((2 * options.records) / HALVES_PER_EVENT),
        s3BytesPerRecord: s3Bytes / options.records,
      });
      await maintain();
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

async function measureAt(history: number, planFile: string, options: MetricCostOptions): Promise<MetricCostMeasurement> {
  options.say(`metric cost: ${history} records of history (metric + maintain), then ${options.records} records × ${options.repeats}…`);
  const args = ['--history', history, '--records', options.records, '--repeats', options.repeats, '--plan', planFile].map(String);
  const { stdout } = await runChild(
    process.execPath,
    ['--import', 'tsx', join(PROJECT_DIR, 'bench/metricCost.ts'), ...args],
    options.onChild,
  );
  const measurement = lastJsonLine<MetricCostMeasurement>(stdout, ['medianMsPerRecord', 'runs']);
  if (measurement === undefined) throw new Error(`the metric cost child (${args.join(' ')}) printed no result:\n${stdout.slice(-1_000)}`);
  options.say(
    `metric cost: after ${history} records: ${measurement.medianMsPerRecord.toFixed(3)} ms/record, ` +
      `${Math.round(measurement.medianS3BytesPerRecord)} S3 bytes/record, ${measurement.medianS3RequestsPerInvocation.toFixed(2)} S3 requests/invocation`,
  );
  return measurement;
}

export async function measureMetricCost(options: MetricCostOptions): Promise<MetricCostResult> {
  const dir = await mkdtemp(join(tmpdir(), 'ml-monitor-bench-plan-'));
  options.cleanup.add('plan dir', () => rm(dir, { recursive: true, force: true }));
  const planFile = join(dir, 'plan.json');
  // The resources as serverless.yml's defaults declare them (not this shell's SQS_* settings).
  await writeFile(planFile, JSON.stringify(planFromResources(templateResources(defaultsEnv()))));
  const small = await measureAt(1_000, planFile, options);
  const large = await measureAt(100_000, planFile, options);
  return {
    measurements: [small, large],
    timeRatio: large.medianMsPerRecord / small.medianMsPerRecord,
    bytesRatio: large.medianS3BytesPerRecord / small.medianS3BytesPerRecord,
  };
}

if (require.main === module) {
  const usage = 'usage: node --import tsx bench/metricCost.ts --history K --records M --repeats R --plan <plan.json>';
  try {
    const { values } = parseArgs({
      options: {
        history: { type: 'string', default: '1000' },
        records: { type: 'string', default: '2000' },
        repeats: { type: 'string', default: '3' },
        plan: { type: 'string' },
      },
      strict: true,
    });
    const [history, records, repeats] = [values.history, values.records, values.repeats].map(Number) as [number, number, number];
    if (![history, records, repeats].every((n) => Number.isInteger(n) && n > 0) || !values.plan) throw new Error('bad arguments');
    runChildMeasurement({ history, records, repeats, planFile: values.plan })
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
