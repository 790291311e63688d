/**
 * The join table in S3 (its logic, pure, is joinTable.ts) and the log segments it
 * feeds. This class is the one owner of the table's outbox: lines enter it in a
 * commit and leave it in a later commit, once their segment is known to be written.
 *
 * `record` (metric) costs three S3 requests whatever the batch size: (1) read and
 * (2) conditionally write the table (retried on conflict), which moves completed ids
 * and expired halves into the outbox as numbered lines; (3) write the new outbox
 * batch as a log segment (create-only, so a repeat is a no-op). The batches a warm
 * container wrote leave the outbox in its next commit.
 *
 * Every step is safe to repeat. If a run dies between (2) and (3), its batch stays in
 * the outbox until `expireAndFlush` (maintain, every minute) writes its segment;
 * compaction waits for that gap rather than skipping it.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { SegmentJournal } from '../logs/journal.js';
import { LOGS } from '../logs/logFiles.js';
import { readLogHeads } from '../logs/logHeads.js';
import { writeSegment } from '../logs/segments.js';
import { crashPoint } from '../platform/faults.js';
import { BUCKET_KEYS } from '../storage/bucketKeys.js';
import { getText, putIfUnchanged, retryOnConflict } from '../storage/s3Objects.js';
import {
  type ApplyOutcome,
  acknowledgeWritten,
  applyHalves,
  type DriftTaken,
  dropSettled,
  type Half,
  type MetricTable,
  type OutboxBatch,
  type PendingRecord,
  parseTable,
  type SettledCheck,
  type TableRules,
  tableAfter,
  takeDrift,
} from './joinTable.js';

export interface JoinTableStoreOptions extends TableRules {
  readonly s3: S3Client;
  readonly bucket: string;
  /** A local copy of each segment, kept until LOGS_DIR's log holds it (journal.ts); none on AWS. */
  readonly journal?: SegmentJournal | undefined;
  readonly now?: () => number;
}

export interface RecordOutcome<H extends Half = Half> extends Omit<ApplyOutcome<H>, 'table'> {
  /** Ids still waiting for their other half. */
  readonly pending: number;
  /** Of those, the ones holding a prediction that waits for its true answer. */
  readonly pendingPredictions: number;
}

function pendingOf(table: MetricTable): Pick<RecordOutcome, 'pending' | 'pendingPredictions'> {
  const records = Object.values(table.pending);
  return { pending: records.length, pendingPredictions: records.filter((record) => record.yPred !== undefined).length };
}

export class JoinTableStore {
  readonly #options: JoinTableStoreOptions;
  /** Batches whose segments this store wrote and the table may still list. */
  #writtenEarlier: OutboxBatch[] = [];

  constructor(options: JoinTableStoreOptions) {
    this.#options = options;
  }

  /**
   * `deadline` (epoch ms): give up losing races to other writers in time, with a
   * ContendedWriteError. `withRecorded`: what the commit adds to the table for the
   * halves it recorded (metric: their drift, arrivals.ts), in the same write.
   */
  async record<H extends Half>(
    halves: readonly H[],
    deadline?: number,
    withRecorded?: (table: MetricTable, recorded: readonly H[]) => MetricTable,
  ): Promise<RecordOutcome<H>> {
    const { table, newBatches, ...outcome } = await this.#commit(halves, deadline, undefined, withRecorded);
    crashPoint('metric:after-commit');
    await this.#write(newBatches);
    crashPoint('metric:after-segments');
    this.#writtenEarlier.push(...newBatches);
    return { ...outcome, ...pendingOf(table) };
  }

  /**
   * Drops the pending ids already in a log (`isSettled`: late duplicates), orphans
   * halves past their TTL, writes the segment of every batch in the outbox (left by
   * any invocation, finished or crashed) and commits the outbox empty of them. With
   * `driftCountedUpTo` (maintain's stored drift book counts the drift taken up to that
   * number), it takes the drift metric added since (takeDrift) in the same write:
   * `driftTaken` is what the stored book does not count yet.
   */
  async expireAndFlush(
    isSettled: SettledCheck,
    deadline?: number,
    driftCountedUpTo?: number,
  ): Promise<RecordOutcome & { readonly driftTaken: readonly DriftTaken[] }> {
    const take = driftCountedUpTo === undefined ? undefined : (table: MetricTable) => takeDrift(table, driftCountedUpTo);
    const { table, newBatches: _, ...outcome } = await this.#commit([], deadline, isSettled, take);
    if (table.outbox.length > 0) {
      await this.#write(table.outbox);
      this.#writtenEarlier.push(...table.outbox);
      await this.#commit([], deadline);
    }
    return { ...outcome, ...pendingOf(table), driftTaken: table.driftTaken ?? [] };
  }

  /** The ids waiting for their other half, with what is known of them (to look them up before `expireAndFlush`). */
  async pending(): Promise<Readonly<Record<string, PendingRecord>>> {
    const stored = await getText(this.#options.s3, this.#options.bucket, BUCKET_KEYS.joinTable);
    return stored === undefined ? {} : parseTable(stored.text).pending;
  }

  /** Drops the pending ids already in a log (late duplicates whose id a compaction just logged). */
  async dropSettled(
    isSettled: SettledCheck,
    deadline?: number,
  ): Promise<RecordOutcome & { readonly waiting: Readonly<Record<string, PendingRecord>> }> {
    const { table, newBatches: _, ...outcome } = await this.#commit([], deadline, isSettled);
    return { ...outcome, ...pendingOf(table), waiting: table.pending };
  }

  /**
   * Reads the table, drops the settled ids, applies `halves` (and `change`, given the
   * ones recorded), drops the batches written earlier, and writes it back if anything
   * changed.
   */
  #commit<H extends Half>(
    halves: readonly H[],
    deadline: number | undefined,
    isSettled?: SettledCheck,
    change?: (table: MetricTable, recorded: readonly H[]) => MetricTable,
  ): Promise<ApplyOutcome<H> & { newBatches: readonly OutboxBatch[] }> {
    const { s3, bucket } = this.#options;
    const now = this.#options.now ?? Date.now;
    return retryOnConflict(
      async () => {
        const stored = await getText(s3, bucket, BUCKET_KEYS.joinTable);
        const read = stored === undefined ? await this.#newTable() : parseTable(stored.text);
        const { table, duplicates } = isSettled === undefined ? { table: read, duplicates: 0 } : dropSettled(read, isSettled);
        const applied = applyHalves(table, halves, now(), this.#options);
        const outcome = { ...applied, duplicates: applied.duplicates + duplicates };
        // applyHalves appends its batches at the end of the outbox.
        const newBatches = outcome.table.outbox.slice(table.outbox.length);
        const changed = change === undefined ? outcome.table : change(outcome.table, outcome.accepted);
        const next = acknowledgeWritten(changed, this.#writtenEarlier);
        if (next !== read) {
          const body = JSON.stringify(next);
          await putIfUnchanged(
            s3,
            bucket,
            BUCKET_KEYS.joinTable,
            body,
            { expectedEtag: stored?.etag },
            { contentType: 'application/json' },
          );
        }
        // Whatever we wrote earlier has now left the table (by this write or an earlier one).
        this.#writtenEarlier = [];
        return { ...outcome, table: next, newBatches };
      },
      { deadline },
    );
  }

  /** The table's first version numbers its lines after whatever the logs already hold (restored ones). */
  async #newTable(): Promise<MetricTable> {
    const heads = await readLogHeads(this.#options.s3, this.#options.bucket);
    return tableAfter({ metric_log: heads?.metric_log.lastSeq ?? 0, orphans: heads?.orphans.lastSeq ?? 0 });
  }

  /** The journal's copy first: once the segment is in the bucket, an emulator that dies takes it along. */
  async #write(batches: readonly OutboxBatch[]): Promise<void> {
    const { s3, bucket, journal } = this.#options;
    await Promise.all(
      batches.map(async (batch) => {
        await journal?.write(LOGS[batch.log], batch.firstSeq, batch.lines);
        await writeSegment(s3, bucket, LOGS[batch.log], batch.firstSeq, batch.lines);
      }),
    );
  }
}
