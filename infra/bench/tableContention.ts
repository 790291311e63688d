/**
 * How many records per second one join table object takes: 1, 2, 4 and 8 writers
 * commit batches to the same table in a fresh bucket of the embedded moto, as that
 * many concurrent `metric` runs would (JoinTableStore.record, the function's own
 * code). Each batch has the shipped size, half new y_true halves and half the
 * y_pred halves of the writer's previous batch, so the table holds what a busy
 * pipeline's does. Conflict retries are counted at the client (a table write
 * refused with 412 or 409). The ceiling on AWS is extrapolated in report.ts from
 * the time a commit takes here and S3's own latencies.
 */
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { Half } from '../../functions/commons/join/joinTable.js';
import { JoinTableStore } from '../../functions/commons/join/joinTableStore.js';
import { BUCKET_KEYS } from '../../functions/commons/storage/bucketKeys.js';
import { localS3 } from '../cloud/localClients.js';
import { startMoto } from '../cloud/moto.js';
import { findFreePort } from '../cloud/net.js';

export interface ContentionRun {
  readonly writers: number;
  readonly commitsPerSecond: number;
  readonly recordsPerSecond: number;
  /** Table writes refused because another writer got there first, per commit. */
  readonly conflictRetriesPerCommit: number;
  /** Median time of one commit (read, write, segment), retries included. */
  readonly commitMsP50: number;
}

export interface ContentionOptions {
  readonly writers: readonly number[];
  /** Halves per batch: the shipped SQS_BATCH_SIZE. */
  readonly batchSize: number;
  readonly secondsPerRun: number;
}

export async function measureTableContention(options: ContentionOptions): Promise<ContentionRun[]> {
  const moto = await startMoto(await findFreePort());
  const s3 = localS3(moto.url);
  let refused = 0;
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        const key = (args.input as { Key?: string }).Key;
        if (context.commandName === 'PutObjectCommand' && key === BUCKET_KEYS.joinTable && (status === 412 || status === 409)) refused++;
        throw error;
      }
    },
    { step: 'initialize', name: 'countTableConflicts' },
  );
  try {
    const runs: ContentionRun[] = [];
    for (const writers of options.writers) {
      const bucket = `contention-${writers}`;
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      const store = new JoinTableStore({ s3, bucket, orphanTtlMs: 3_600_000 });
      refused = 0;
      const times: number[] = [];
      const started = Date.now();
      const until = started + options.secondsPerRun * 1000;
      await Promise.all(Array.from({ length: writers }, (_, writer) => writeUntil(store, writer, options.batchSize, until, times)));
      const seconds = (Date.now() - started) / 1000;
      const commits = times.length;
      runs.push({
        writers,
        commitsPerSecond: commits / seconds,
        // Each batch completes batchSize / 2 records (the y_pred halves of the previous batch).
        recordsPerSecond: (commits * options.batchSize) / 2 / seconds,
        conflictRetriesPerCommit: commits === 0 ? 0 : refused / commits,
        commitMsP50: median(times),
      });
    }
    return runs;
  } finally {
    s3.destroy();
    await moto.stop();
  }
}

async function writeUntil(store: JoinTableStore, writer: number, batchSize: number, until: number, times: number[]): Promise<void> {
  const half = batchSize / 2;
  let previous: string[] = [];
  for (let batch = 0; Date.now() < until; batch++) {
    const ids = Array.from({ length: half }, (_, i) => `w${writer}-b${batch}-${i}`);
    const halves: Half[] = [
      ...ids.map((id) => ({ kind: 'y_true' as const, id, value: 100 })),
      ...previous.map((id) => ({ kind: 'y_pred' as const, id, value: 90 })),
    ];
    const started = performance.now();
    await store.record(halves);
    times.push(performance.now() - started);
    previous = ids;
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : (sorted[Math.floor((sorted.length - 1) / 2)] as number);
}
