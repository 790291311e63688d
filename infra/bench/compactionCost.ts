/**
 * What appending a minute's rows to metric_log.csv costs `maintain` as the log grows:
 * the same rounds (segments of `rowsPerRound` new rows, then one compaction) against
 * a log of each size, in a fresh bucket of the embedded moto, by a warm compactor
 * (the function's own LogCompactor, after its cold-start read). Time and the bytes
 * that pass through the function (request bodies sent, object bodies received) are
 * measured per round; the figures are the medians. A flat cost shows as a ratio near
 * 1 between the largest log and the smallest.
 */
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { LogCompactor } from '../../functions/commons/logs/compaction.js';
import { LAST_LINE_METADATA, LOGS } from '../../functions/commons/logs/logFiles.js';
import { formatMetricRow, metricRow } from '../../functions/commons/logs/rowFormat.js';
import { writeSegment } from '../../functions/commons/logs/segments.js';
import { localS3 } from '../cloud/localClients.js';
import { startMoto } from '../cloud/moto.js';
import { findFreePort } from '../cloud/net.js';
import { median } from './stats.js';

export interface CompactionCost {
  readonly logRows: number;
  readonly logBytes: number;
  readonly msPerRound: number;
  readonly bytesPerRound: number;
}

export interface CompactionCostOptions {
  readonly logRows: readonly number[];
  readonly rowsPerRound: number;
  readonly rounds: number;
}

const row = (i: number) =>
  formatMetricRow(metricRow(`${1795680657123 + i}-9f3a1c2e-${String(i % 10_000).padStart(4, '0')}`, 151, 160.234567890123));

export async function measureCompactionCost(options: CompactionCostOptions): Promise<CompactionCost[]> {
  const moto = await startMoto(await findFreePort());
  const s3 = localS3(moto.url);
  let bytes = 0;
  s3.middlewareStack.add(
    (next) => async (args) => {
      const body = (args.input as { Body?: unknown }).Body;
      if (body instanceof Uint8Array || typeof body === 'string') bytes += Buffer.byteLength(body);
      const result = await next(args);
      bytes += Number((result.output as { ContentLength?: number }).ContentLength ?? 0);
      return result;
    },
    { step: 'initialize', name: 'countBodyBytes' },
  );
  try {
    const costs: CompactionCost[] = [];
    for (const logRows of options.logRows) {
      const bucket = `compaction-${logRows}`;
      const logBytes = await seedLog(s3, bucket, logRows);
      const compactor = new LogCompactor({ s3, bucket, logsDir: undefined });
      await compactor.refresh();
      const times: number[] = [];
      const moved: number[] = [];
      let next = logRows + 1;
      for (let round = 0; round < options.rounds; round++) {
        const lines = Array.from({ length: options.rowsPerRound }, (_, i) => row(next + i));
        await writeSegment(s3, bucket, LOGS.metric_log, next, lines);
        next += lines.length;
        bytes = 0;
        const started = performance.now();
        await compactor.compact(LOGS.metric_log);
        times.push(performance.now() - started);
        moved.push(bytes);
      }
      costs.push({ logRows, logBytes, msPerRound: median(times), bytesPerRound: median(moved) });
    }
    return costs;
  } finally {
    s3.destroy();
    await moto.stop();
  }
}

/** A log of `rows` rows, as `maintain` would have left it (its last line number in the metadata). */
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
  return body.length;
}
