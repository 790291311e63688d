/**
 * What appending a minute's rows to the log costs `maintain` as the log grows: the
 * same rounds (segments of `rowsPerRound` new rows, then one compaction) against a log
 * of each size, in a fresh bucket of the embedded moto, by a warm compactor (the
 * function's own LogCompactor, after its cold start). Each history is made by the
 * product's own migration of a one-object log (migration.ts), as an upgraded bucket
 * would hold it. Time and the bytes
 * that pass through the function (request bodies sent, object bodies received) are
 * measured per round; the figures are the medians. A flat cost shows as a ratio near
 * 1 between the largest log and the smallest. Each round's time is also split into
 * the time spent in S3 calls (the SDK's and the emulator's, by operation: moto copies
 * and hashes the whole object server-side for UploadPartCopy and
 * CompleteMultipartUpload) and the rest, spent in the function itself.
 */
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { LogCompactor } from '../functions/commons/logs/compaction.js';
import { IdIndex } from '../functions/commons/logs/idIndex.js';
import { LAST_LINE_METADATA, LOGS } from '../functions/commons/logs/logFiles.js';
import { writeLogHeads } from '../functions/commons/logs/logHeads.js';
import { migrateOneObjectLogs } from '../functions/commons/logs/migration.js';
import { formatMetricRow, metricRow } from '../functions/commons/logs/rowFormat.js';
import { writeSegment } from '../functions/commons/logs/segments.js';
import { withEmulator } from './emulator.js';
import { median } from './stats.js';

export interface CompactionCost {
  readonly logRows: number;
  readonly logBytes: number;
  readonly msPerRound: number;
  readonly bytesPerRound: number;
  /** Of msPerRound, the time S3 calls took to answer (median of the rounds), and by operation. */
  readonly s3MsPerRound: number;
  readonly s3MsByOperation: Readonly<Record<string, number>>;
  /** The rest, the function's own work: the median of each round's difference, at least 0 (S3 calls can overlap a little). */
  readonly functionMsPerRound: number;
}

export interface CompactionCostOptions {
  readonly logRows: readonly number[];
  readonly rowsPerRound: number;
  readonly rounds: number;
  /** The moto started, so main's cleanup can stop it on Ctrl+C. */
  readonly onEmulator?: (stop: () => Promise<void>) => void;
}

const row = (i: number) =>
  formatMetricRow(metricRow(`${1795680657123 + i}-9f3a1c2e-${String(i % 10_000).padStart(4, '0')}`, 151, 160.234567890123));

export function measureCompactionCost(options: CompactionCostOptions): Promise<CompactionCost[]> {
  return withEmulator(async (s3) => {
    let bytes = 0;
    let s3Ms: Record<string, number> = {};
    s3.middlewareStack.add(
      (next, context) => async (args) => {
        const body = (args.input as { Body?: unknown }).Body;
        if (body instanceof Uint8Array || typeof body === 'string') bytes += Buffer.byteLength(body);
        const started = performance.now();
        try {
          const result = await next(args);
          bytes += Number((result.output as { ContentLength?: number }).ContentLength ?? 0);
          return result;
        } finally {
          const operation = (context.commandName ?? 'unknown').replace(/Command$/, '');
          s3Ms[operation] = (s3Ms[operation] ?? 0) + performance.now() - started;
        }
      },
      { step: 'initialize', name: 'countBodyBytesAndTime' },
    );
    const costs: CompactionCost[] = [];
    for (const logRows of options.logRows) {
      const bucket = `compaction-${logRows}`;
      const logBytes = await seedLog(s3, bucket, logRows);
      const compactor = new LogCompactor({ s3, bucket, logsDir: undefined, index: new IdIndex({ s3, bucket }) });
      await compactor.open();
      const rounds: { ms: number; bytes: number; s3Ms: Record<string, number> }[] = [];
      let next = logRows + 1;
      for (let round = 0; round < options.rounds; round++) {
        const lines = Array.from({ length: options.rowsPerRound }, (_, i) => row(next + i));
        await writeSegment(s3, bucket, LOGS.metric_log, next, lines);
        next += lines.length;
        bytes = 0;
        s3Ms = {};
        const started = performance.now();
        await compactor.compact(LOGS.metric_log);
        rounds.push({ ms: performance.now() - started, bytes, s3Ms });
      }
      const s3Total = (round: (typeof rounds)[number]) => Object.values(round.s3Ms).reduce((sum, ms) => sum + ms, 0);
      const operations = [...new Set(rounds.flatMap((round) => Object.keys(round.s3Ms)))].sort();
      costs.push({
        logRows,
        logBytes,
        msPerRound: median(rounds.map((round) => round.ms)),
        bytesPerRound: median(rounds.map((round) => round.bytes)),
        s3MsPerRound: median(rounds.map(s3Total)),
        s3MsByOperation: Object.fromEntries(operations.map((op) => [op, median(rounds.map((round) => round.s3Ms[op] ?? 0))])),
        functionMsPerRound: Math.max(0, median(rounds.map((round) => round.ms - s3Total(round)))),
      });
    }
    return costs;
  }, options.onEmulator);
}

/** A log of `rows` rows: a one-object log as `maintain` left it before the pieces, migrated by the product's own code. */
async function seedLog(s3: S3Client, bucket: string, rows: number): Promise<number> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const body = Buffer.from(`${LOGS.metric_log.header}\n${Array.from({ length: rows }, (_, i) => `${row(i + 1)}\n`).join('')}`);
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: LOGS.metric_log.key,
      Body: body,
      ContentType: 'text/csv',
      Metadata: { [LAST_LINE_METADATA]: String(rows) },
    }),
  );
  const index = new IdIndex({ s3, bucket });
  const migrated = await migrateOneObjectLogs(s3, bucket, index, { rows: () => undefined }, Date.now(), Number.POSITIVE_INFINITY);
  await writeLogHeads(s3, bucket, { metric_log: migrated.metric_log.head, orphans: migrated.orphans.head });
  return body.length;
}
