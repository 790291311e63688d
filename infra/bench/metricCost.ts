/**
 * Phase 4: does the metric handler's cost per record grow with metric_log.csv? It
 * must not: a run touches the table and writes a segment, never the log itself.
 *
 * Each measurement runs in a child process of its own (`node --import tsx
 * infra/bench/metricCost.ts --rows K …`, printing one JSON line), because the
 * handler reads its configuration and creates its S3 client at import: a fresh
 * process gets a fresh moto, a fresh proxy and a fresh module. The child bootstraps
 * the template's resources, leaves the bucket as compaction would after K rows
 * (metric_log.csv with the header and K rows, `last-seq` = K; a version-2 table whose
 * nextSeq continues after K), then calls the real handler in-process with SQS events
 * of 100 halves, y_true then y_pred, timing it and counting its S3 traffic at the proxy.
 *
 * Two table variants: `fresh` (the table as EMPTY_TABLE with nextSeq moved on: only
 * the log's size differs between K) and `realistic` (also the last
 * min(K, SETTLED_IDS_KEPT) settled ids a table remembers after K rows, as the
 * pipeline would leave it), since the settled list is what the handler does read and write.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { EMPTY_TABLE, type MetricTable, parseTable } from '../../functions/commons/join/joinTable.js';
import { LOGS } from '../../functions/commons/logs/logFiles.js';
import { formatMetricRow, METRIC_LOG_HEADER, metricRow } from '../../functions/commons/logs/rowFormat.js';
import { newRunId, recordId } from '../../functions/commons/messaging/recordIds.js';
import { BUCKET_KEYS } from '../../functions/commons/storage/bucketKeys.js';
import { getText } from '../../functions/commons/storage/s3Objects.js';
import { type BootstrapPlan, bootstrap } from '../cloud/bootstrap.js';
import { localS3, localSqs } from '../cloud/localClients.js';
import { startMoto } from '../cloud/moto.js';
import { findFreePort } from '../cloud/net.js';
import { PROJECT_DIR } from '../stack.js';
import { RecordingProxy } from './recordingProxy.js';
import { median } from './stats.js';

export type TableVariant = 'fresh' | 'realistic';
const SETTLED_IDS_KEPT = 20_000;
const HALVES_PER_EVENT = 100;

export interface MetricCostRun {
  readonly wallMs: number;
  readonly msPerRecord: number;
  readonly s3Requests: number;
  readonly s3RequestsPerInvocation: number;
  readonly s3BytesPerRecord: number;
  readonly invocations: number;
  readonly tableBytes: number;
}

export interface MetricCostMeasurement {
  readonly rows: number;
  readonly variant: TableVariant;
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

/** The metric table after `rows` rows were written and compacted. */
export function preloadedTable(rows: number, variant: TableVariant, nowMs: number, settledKept = SETTLED_IDS_KEPT): MetricTable {
  const settled: string[] = [];
  if (variant === 'realistic') for (let i = Math.max(0, rows - settledKept); i < rows; i++) settled.push(preloadedId(i, nowMs));
  return { ...EMPTY_TABLE, settled, nextSeq: { metric_log: rows + 1, orphans: 1 } };
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

function lambdaContext(): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'ml-monitor-dev-metric',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:ml-monitor-dev-metric',
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/ml-monitor-dev-metric',
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
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

async function runChild(options: {
  rows: number;
  records: number;
  repeats: number;
  variant: TableVariant;
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
    const table = JSON.stringify(preloadedTable(options.rows, options.variant, now));
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
      SETTLED_IDS_KEPT: String(SETTLED_IDS_KEPT),
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
      const counts = proxy.counts();
      let s3Requests = 0;
      let s3Bytes = 0;
      for (const [operation, stats] of Object.entries(counts)) {
        if (!operation.startsWith('s3:')) continue;
        s3Requests += stats.count;
        s3Bytes += stats.requestBytes + stats.responseBytes;
      }
      // Every record must have become a row: the table moved on by exactly M lines.
      const after = parseTable((await getText(s3, bucket, BUCKET_KEYS.joinTable))?.text ?? 'null');
      if (after.nextSeq.metric_log !== options.rows + 1 + options.records) {
        throw new Error(`expected the table at line ${options.rows + 1 + options.records}, found ${after.nextSeq.metric_log}`);
      }
      runs.push({
        wallMs,
        msPerRecord: wallMs / options.records,
        s3Requests,
        s3RequestsPerInvocation: s3Requests / events.length,
        s3BytesPerRecord: s3Bytes / options.records,
        invocations: events.length,
        tableBytes: Buffer.byteLength(JSON.stringify(after)),
      });
    }
    return {
      rows: options.rows,
      variant: options.variant,
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
  readonly planFile: string;
  readonly records: number;
  readonly repeats: number;
  readonly say: (line: string) => void;
  /** Children started, so Ctrl+C can stop one mid-measurement. */
  readonly onChild?: (stop: () => void) => void;
}

export interface MetricCostResult {
  readonly measurements: readonly MetricCostMeasurement[];
  /** Per-record wall time at 100k rows ÷ at 1k rows, fresh table: the log's size alone. */
  readonly timeRatio: number;
  readonly bytesRatio: number;
  /** The same with the table as the pipeline leaves it (settled ids remembered). */
  readonly realisticTimeRatio: number;
  readonly realisticBytesRatio: number;
}

function spawnChild(args: readonly string[], onChild?: (stop: () => void) => void): Promise<MetricCostMeasurement> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_DIR, 'infra/bench/metricCost.ts'), ...args], {
      cwd: PROJECT_DIR,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    onChild?.(() => child.kill('SIGTERM'));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-5_000)));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      const last = stdout.trim().split('\n').at(-1) ?? '';
      if (code === 0) {
        try {
          resolve(JSON.parse(last) as MetricCostMeasurement);
          return;
        } catch {
          // fall through to the error below
        }
      }
      reject(
        new Error(`metric cost child (${args.join(' ')}) exited with ${signal ?? `code ${code}`}:\n${stderr.trim() || stdout.trim()}`),
      );
    });
  });
}

export async function measureMetricCost(options: MetricCostOptions): Promise<MetricCostResult> {
  const measurements: MetricCostMeasurement[] = [];
  for (const variant of ['fresh', 'realistic'] as const) {
    for (const rows of [1_000, 100_000]) {
      options.say(`metric cost: ${rows} rows in the log, ${variant} table, ${options.records} records × ${options.repeats}…`);
      const args = [
        '--rows',
        rows,
        '--records',
        options.records,
        '--repeats',
        options.repeats,
        '--variant',
        variant,
        '--plan',
        options.planFile,
      ].map(String);
      const measurement = await spawnChild(args, options.onChild);
      measurements.push(measurement);
      options.say(
        `metric cost: ${rows} rows, ${variant}: ${measurement.medianMsPerRecord.toFixed(3)} ms/record, ` +
          `${Math.round(measurement.medianS3BytesPerRecord)} S3 bytes/record, ${measurement.medianS3RequestsPerInvocation.toFixed(2)} S3 requests/invocation`,
      );
    }
  }
  const find = (rows: number, variant: TableVariant) =>
    measurements.find((m) => m.rows === rows && m.variant === variant) as MetricCostMeasurement;
  const ratio = (variant: TableVariant, pick: (m: MetricCostMeasurement) => number) =>
    pick(find(100_000, variant)) / pick(find(1_000, variant));
  return {
    measurements,
    timeRatio: ratio('fresh', (m) => m.medianMsPerRecord),
    bytesRatio: ratio('fresh', (m) => m.medianS3BytesPerRecord),
    realisticTimeRatio: ratio('realistic', (m) => m.medianMsPerRecord),
    realisticBytesRatio: ratio('realistic', (m) => m.medianS3BytesPerRecord),
  };
}

function argValue(argv: readonly string[], flag: string): string | undefined {
  const index = argv.indexOf(flag);
  return index < 0 ? undefined : argv[index + 1];
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const variant = argValue(argv, '--variant') ?? 'fresh';
  const planFile = argValue(argv, '--plan');
  if ((variant !== 'fresh' && variant !== 'realistic') || planFile === undefined) {
    console.error(
      'usage: node --import tsx infra/bench/metricCost.ts --rows K --records M --repeats R --variant fresh|realistic --plan <plan.json>',
    );
    process.exit(2);
  }
  runChild({
    rows: Number(argValue(argv, '--rows') ?? 1_000),
    records: Number(argValue(argv, '--records') ?? 2_000),
    repeats: Number(argValue(argv, '--repeats') ?? 3),
    variant,
    planFile,
  })
    .then((result) => {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      process.exit(0);
    })
    .catch((error: Error) => {
      console.error(`metric cost: ${error.stack ?? error.message}`);
      process.exit(1);
    });
}
