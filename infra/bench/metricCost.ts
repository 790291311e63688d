/**
 * Phase 4: does the metric handler's cost per record grow with metric_log.csv? It
 * must not: a run touches the table and writes a segment, never the log itself.
 *
 * Each measurement runs in a child process of its own (`node --import tsx
 * infra/bench/metricCost.ts --rows K …`, printing one JSON line), because the
 * handler reads its configuration and creates its S3 client at import: a fresh
 * process gets a fresh moto, a fresh proxy and a fresh module. The child bootstraps
 * the template's resources, leaves the bucket as compaction would after K rows
 * (metric_log.csv with the header and K rows, `last-seq` = K; a join table whose
 * nextSeq continues after K, as the pipeline leaves it: it remembers no settled id),
 * then calls the real handler in-process with SQS events of 100 halves, y_true then
 * y_pred, timing it and counting its S3 traffic at the proxy.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { parseTable, tableAfter } from '../../functions/commons/join/joinTable.js';
import { LOGS } from '../../functions/commons/logs/logFiles.js';
import { formatMetricRow, METRIC_LOG_HEADER, metricRow } from '../../functions/commons/logs/rowFormat.js';
import { newRunId, recordId } from '../../functions/commons/messaging/recordIds.js';
import { BUCKET_KEYS } from '../../functions/commons/storage/bucketKeys.js';
import { getText } from '../../functions/commons/storage/s3Objects.js';
import { type BootstrapPlan, bootstrap, planFromResources } from '../cloud/bootstrap.js';
import { defaultsEnv, templateResources } from '../cloud/bootstrapCli.js';
import { localS3, localSqs } from '../cloud/localClients.js';
import { startMoto } from '../cloud/moto.js';
import { findFreePort } from '../cloud/net.js';
import { functionName, PROJECT_DIR } from '../toolbox/localDefaults.js';
import { lastJsonLine, runChild } from './child.js';
import type { Cleanup } from './cleanup.js';
import { RecordingProxy } from './recordingProxy.js';
import { median } from './stats.js';

const HALVES_PER_EVENT = 100;
const METRIC = functionName('metric');

export interface MetricCostRun {
  readonly msPerRecord: number;
  readonly s3RequestsPerInvocation: number;
  readonly s3BytesPerRecord: number;
}

export interface MetricCostMeasurement {
  readonly rows: number;
  readonly records: number;
  readonly runs: readonly MetricCostRun[];
  readonly medianMsPerRecord: number;
  readonly medianS3BytesPerRecord: number;
  readonly medianS3RequestsPerInvocation: number;
}

// ---------------------------------------------------------------- pure helpers

/** Old, well-formed ids for pre-loaded rows (a day ago, ten thousand per run id). */
export function preloadedId(index: number, nowMs: number): string {
  const runId = (0x10000000 + Math.floor(index / 10_000)).toString(16);
  return recordId(nowMs - 86_400_000 + Math.floor(index / 10), runId, index % 10_000);
}

/** A deterministic y_true/y_pred pair in the data set's range (25..346). */
export function syntheticPair(index: number): { yTrue: number; yPred: number } {
  const yTrue = 25 + ((index * 7919) % 322);
  const yPred = yTrue + (((index * 104729) % 2001) - 1000) / 17;
  return { yTrue, yPred };
}

/** metric_log.csv as compaction leaves it after `rows` rows. */
export function preloadedLog(rows: number, nowMs: number): string {
  const lines: string[] = [METRIC_LOG_HEADER];
  for (let i = 0; i < rows; i++) {
    const { yTrue, yPred } = syntheticPair(i);
    lines.push(formatMetricRow(metricRow(preloadedId(i, nowMs), yTrue, yPred)));
  }
  return `${lines.join('\n')}\n`;
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

/** What the handler reads of its context (the logger's keys and the time left), for a fresh request id each call. */
function lambdaContext(): Context {
  const arn = `arn:aws:lambda:us-east-1:000000000000:function:${METRIC}`;
  return {
    functionName: METRIC,
    invokedFunctionArn: arn,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    getRemainingTimeInMillis: () => 30_000,
  } as Context;
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

async function deleteSegments(s3: S3Client, bucket: string): Promise<void> {
  for (;;) {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'segments/' }));
    const keys = (page.Contents ?? []).map((object) => ({ Key: object.Key as string }));
    if (keys.length === 0) return;
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
  }
}

async function runChildMeasurement(options: {
  rows: number;
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
    const now = Date.now();
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: LOGS.metric_log.key,
        Body: preloadedLog(options.rows, now),
        ContentType: 'text/csv',
        Metadata: { 'last-seq': String(options.rows) },
      }),
    );
    const table = JSON.stringify(tableAfter({ metric_log: options.rows, orphans: 0 }));
    const resetTable = () =>
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: BUCKET_KEYS.joinTable, Body: table, ContentType: 'application/json' }));

    // The handler reads these at import: set them first, then load it.
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: proxy.url,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      BUCKET_NAME: bucket,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    });
    delete process.env.LOGS_DIR;
    const { handler } = (await import('../../functions/metric.js')) as { handler: Handler };

    const call = async (event: SQSEvent) => {
      const response = await handler(event, lambdaContext());
      if (response.batchItemFailures.length > 0) throw new Error(`metric rejected ${response.batchItemFailures.length} halves`);
    };
    // Warm-up, not measured: the first calls pay for connections, lazy SDK loading and V8's
    // optimisation of the handler's paths, none of which is per-record cost.
    await resetTable();
    const warmRun = newRunId();
    const warmIds = Array.from({ length: options.records }, (_, i) => recordId(now, warmRun, i % 10_000));
    for (const event of halfEvents(warmIds, 0)) await call(event);

    const runs: MetricCostRun[] = [];
    for (let repeat = 0; repeat < options.repeats; repeat++) {
      await resetTable();
      await deleteSegments(s3, bucket);
      const runId = newRunId();
      const emittedAtMs = Date.now();
      const ids = Array.from({ length: options.records }, (_, i) => recordId(emittedAtMs, runId, i % 10_000));
      if (new Set(ids).size !== ids.length) throw new Error('--metric-cost-records must be at most 10000');
      const events = halfEvents(ids, repeat * options.records);
      proxy.reset();
      const started = performance.now();
      for (const event of events) await call(event);
      const wallMs = performance.now() - started;
      const s3Stats = Object.entries(proxy.counts()).filter(([operation]) => operation.startsWith('s3:'));
      const s3Requests = s3Stats.reduce((sum, [, stats]) => sum + stats.count, 0);
      const s3Bytes = s3Stats.reduce((sum, [, stats]) => sum + stats.requestBytes + stats.responseBytes, 0);
      // Every record must have become a row: the table moved on by exactly M lines.
      const after = parseTable((await getText(s3, bucket, BUCKET_KEYS.joinTable))?.text ?? 'null');
      if (after.nextSeq.metric_log !== options.rows + 1 + options.records) {
        throw new Error(`expected the table at line ${options.rows + 1 + options.records}, found ${after.nextSeq.metric_log}`);
      }
      runs.push({
        msPerRecord: wallMs / options.records,
        s3RequestsPerInvocation: s3Requests / events.length,
        s3BytesPerRecord: s3Bytes / options.records,
      });
    }
    return {
      rows: options.rows,
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
  /** At 1,000 rows in the log, then at 100,000. */
  readonly measurements: readonly [MetricCostMeasurement, MetricCostMeasurement];
  /** Per-record wall time at 100k rows ÷ at 1k rows: the log's size alone. */
  readonly timeRatio: number;
  readonly bytesRatio: number;
}

async function measureAt(rows: number, planFile: string, options: MetricCostOptions): Promise<MetricCostMeasurement> {
  options.say(`metric cost: ${rows} rows in the log, ${options.records} records × ${options.repeats}…`);
  const args = ['--rows', rows, '--records', options.records, '--repeats', options.repeats, '--plan', planFile].map(String);
  const { stdout } = await runChild(
    process.execPath,
    ['--import', 'tsx', join(PROJECT_DIR, 'infra/bench/metricCost.ts'), ...args],
    options.onChild,
  );
  const measurement = lastJsonLine<MetricCostMeasurement>(stdout, ['medianMsPerRecord', 'runs']);
  if (measurement === undefined) throw new Error(`the metric cost child (${args.join(' ')}) printed no result:\n${stdout.slice(-1_000)}`);
  options.say(
    `metric cost: ${rows} rows: ${measurement.medianMsPerRecord.toFixed(3)} ms/record, ` +
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
  const usage = 'usage: node --import tsx infra/bench/metricCost.ts --rows K --records M --repeats R --plan <plan.json>';
  try {
    const { values } = parseArgs({
      options: {
        rows: { type: 'string', default: '1000' },
        records: { type: 'string', default: '2000' },
        repeats: { type: 'string', default: '3' },
        plan: { type: 'string' },
      },
      strict: true,
    });
    const [rows, records, repeats] = [values.rows, values.records, values.repeats].map(Number) as [number, number, number];
    if (![rows, records, repeats].every((n) => Number.isInteger(n) && n > 0) || !values.plan) throw new Error('bad arguments');
    runChildMeasurement({ rows, records, repeats, planFile: values.plan })
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
