/**
 * How many records per second one join table object takes: 1, 2, 4 and 8 writers
 * commit batches to the same table in a fresh bucket of the embedded moto, as that
 * many concurrent `metric` runs would (JoinTableStore.record, the function's own
 * code). Each batch is a full one on the shipped settings (SQS_BATCH_SIZE messages,
 * each a pack of MAX_RECORDS_PER_MESSAGE halves), half new y_true halves and half the
 * y_pred halves of the writer's previous batch, so the table holds what a busy
 * pipeline's does. Conflict retries are counted at the client (a table write
 * refused with 412 or 409). Each writer count runs `repeats` times, each in a bucket
 * of its own; every figure is the median of the repeats.
 */
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Half } from '../functions/commons/join/joinTable.js';
import { JoinTableStore } from '../functions/commons/join/joinTableStore.js';
import { BUCKET_KEYS } from '../functions/commons/storage/bucketKeys.js';
import { withEmulator } from './emulator.js';
import { median } from './stats.js';

export interface ContentionRun {
  readonly writers: number;
  readonly commitsPerSecond: number;
  readonly recordsPerSecond: number;
  /** Table writes refused because another writer got there first, per commit. */
  readonly conflictRetriesPerCommit: number;
  /** Median time of one commit (read, write, segment), retries included. */
  readonly commitMsP50: number;
  /** records/s of each repeat, in the order run. */
  readonly repeatsRecordsPerSecond: readonly number[];
}

export interface ContentionOptions {
  readonly writers: readonly number[];
  /** Halves per commit: the shipped SQS_BATCH_SIZE messages of full packs. */
  readonly halvesPerCommit: number;
  readonly secondsPerRun: number;
  /** Runs per writer count (median taken). */
  readonly repeats: number;
  /** The moto started, so main's cleanup can stop it on Ctrl+C. */
  readonly onEmulator?: (stop: () => Promise<void>) => void;
}

type RunFigures = Omit<ContentionRun, 'repeatsRecordsPerSecond'>;

export function measureTableContention(options: ContentionOptions): Promise<ContentionRun[]> {
  return withEmulator(async (s3) => {
    const conflicts = { refused: 0 };
    s3.middlewareStack.add(
      (next, context) => async (args) => {
        try {
          return await next(args);
        } catch (error) {
          const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
          const key = (args.input as { Key?: string }).Key;
          const refused = status === 412 || status === 409;
          if (context.commandName === 'PutObjectCommand' && key === BUCKET_KEYS.joinTable && refused) conflicts.refused++;
          throw error;
        }
      },
      { step: 'initialize', name: 'countTableConflicts' },
    );
    const runs: ContentionRun[] = [];
    for (const writers of options.writers) {
      const repeats: RunFigures[] = [];
      for (let repeat = 0; repeat < options.repeats; repeat++) {
        repeats.push(await contend(s3, `contention-${writers}-${repeat}`, writers, options, conflicts));
      }
      const mid = (pick: (run: RunFigures) => number) => median(repeats.map(pick));
      runs.push({
        writers,
        commitsPerSecond: mid((run) => run.commitsPerSecond),
        recordsPerSecond: mid((run) => run.recordsPerSecond),
        conflictRetriesPerCommit: mid((run) => run.conflictRetriesPerCommit),
        commitMsP50: mid((run) => run.commitMsP50),
        repeatsRecordsPerSecond: repeats.map((run) => run.recordsPerSecond),
      });
    }
    return runs;
  }, options.onEmulator);
}

/** One run: `writers` writers commit to a fresh table in `bucket` for secondsPerRun. */
async function contend(
  s3: S3Client,
  bucket: string,
  writers: number,
  options: ContentionOptions,
  conflicts: { refused: number },
): Promise<RunFigures> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  conflicts.refused = 0;
  const times: number[] = [];
  const started = Date.now();
  const until = started + options.secondsPerRun * 1000;
  // A store per writer, as each metric container has its own: a store acknowledges the batches it wrote in its next commit.
  const stores = Array.from({ length: writers }, () => new JoinTableStore({ s3, bucket, orphanTtlMs: 3_600_000 }));
  await Promise.all(stores.map((store, writer) => writeUntil(store, writer, options.halvesPerCommit, until, times)));
  const seconds = (Date.now() - started) / 1000;
  const commits = times.length;
  return {
    writers,
    commitsPerSecond: commits / seconds,
    // Each batch completes halvesPerCommit / 2 records (the y_pred halves of the previous batch).
    recordsPerSecond: (commits * options.halvesPerCommit) / 2 / seconds,
    conflictRetriesPerCommit: commits === 0 ? 0 : conflicts.refused / commits,
    commitMsP50: median(times),
  };
}

async function writeUntil(store: JoinTableStore, writer: number, halvesPerCommit: number, until: number, times: number[]): Promise<void> {
  const half = halvesPerCommit / 2;
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
