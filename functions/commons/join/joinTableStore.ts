/**
 * The metric table in S3 and the log segments it feeds.
 *
 * One invocation costs three S3 requests whatever the batch size or the size of
 * the log: (1) read and (2) conditionally write the table (retried on conflict),
 * which moves completed ids and expired halves into the table's outbox as numbered
 * lines; (3) write the new outbox batch as a log segment (create-only, so a repeat
 * is a no-op). A written batch leaves the outbox in the same store's next commit
 * (it remembers what it wrote), or at the latest when plot settles the table.
 *
 * Every step is safe to repeat. If a run dies between (2) and (3), its batch stays
 * in the outbox and `settle()` (plot, every minute) writes its segment; compaction
 * waits for that gap rather than skipping it.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { lastLineOfLog, writeSegment } from '../logs/compaction.js';
import { LOGS } from '../logs/logFiles.js';
import { OBJECT_KEYS } from '../platform/config.js';
import { crashPoint } from '../platform/faults.js';
import { getText, putIfUnchanged, retryOnConflict } from '../storage/s3Objects.js';
import {
  type ApplyOutcome,
  acknowledgeWritten,
  applyHalves,
  type Half,
  type MetricTable,
  type OutboxBatch,
  parseTable,
  type TableRules,
  tableAfter,
} from './joinTable.js';

export interface MetricStoreOptions extends TableRules {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly now?: () => number;
}

export interface RecordOutcome extends Omit<ApplyOutcome, 'table'> {
  /** Segments this invocation wrote (its own batches and any left over by others). */
  readonly segmentsWritten: number;
  readonly pending: number;
}

interface Commit extends ApplyOutcome {
  /** Outbox batches this commit created. */
  readonly newBatches: readonly OutboxBatch[];
}

export class MetricStore {
  readonly #options: MetricStoreOptions;
  /** Batches whose segments this store wrote and the table still lists. */
  #writtenEarlier: OutboxBatch[] = [];

  constructor(options: MetricStoreOptions) {
    this.#options = options;
  }

  /** `deadline` (epoch ms): give up losing races to other writers in time, with a ContendedWriteError. */
  async record(halves: readonly Half[], deadline?: number): Promise<RecordOutcome> {
    const { table, newBatches, ...outcome } = await this.#commit(halves, deadline);
    crashPoint('metric:after-commit');
    await this.#write(newBatches);
    crashPoint('metric:after-segments');
    this.#writtenEarlier.push(...newBatches);
    return { ...outcome, segmentsWritten: newBatches.length, pending: Object.keys(table.pending).length };
  }

  /**
   * Expires halves past their TTL and writes every batch left in the outbox (by
   * this or any other invocation, finished or crashed), then empties the outbox.
   */
  async settle(deadline?: number): Promise<RecordOutcome> {
    const { table, newBatches: _, ...outcome } = await this.#commit([], deadline);
    await this.#write(table.outbox);
    if (table.outbox.length > 0) await this.#acknowledge(table.outbox, deadline);
    return { ...outcome, segmentsWritten: table.outbox.length, pending: Object.keys(table.pending).length };
  }

  #commit(halves: readonly Half[], deadline: number | undefined): Promise<Commit> {
    const { s3, bucket } = this.#options;
    const now = this.#options.now ?? Date.now;
    return retryOnConflict(
      async () => {
        const stored = await getText(s3, bucket, OBJECT_KEYS.metricTable);
        const table = stored === undefined ? await this.#newTable() : parseTable(stored.text);
        const outcome = applyHalves(table, halves, now(), this.#options);
        // applyHalves appends its batches at the end of the outbox.
        const newBatches = outcome.table.outbox.slice(table.outbox.length);
        const next = acknowledgeWritten(outcome.table, this.#writtenEarlier);
        if (next !== table) {
          await putIfUnchanged(
            s3,
            bucket,
            OBJECT_KEYS.metricTable,
            JSON.stringify(next),
            { expectedEtag: stored?.etag },
            {
              contentType: 'application/json',
            },
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
    const { s3, bucket } = this.#options;
    const [metricLog, orphans] = await Promise.all([lastLineOfLog(s3, bucket, LOGS.metric_log), lastLineOfLog(s3, bucket, LOGS.orphans)]);
    return tableAfter({ metric_log: metricLog, orphans });
  }

  async #write(batches: readonly OutboxBatch[]): Promise<void> {
    const { s3, bucket } = this.#options;
    await Promise.all(batches.map((batch) => writeSegment(s3, bucket, LOGS[batch.log], batch.firstSeq, batch.lines)));
  }

  #acknowledge(written: readonly OutboxBatch[], deadline: number | undefined): Promise<void> {
    const { s3, bucket } = this.#options;
    return retryOnConflict(
      async () => {
        const stored = await getText(s3, bucket, OBJECT_KEYS.metricTable);
        if (stored === undefined) return;
        const table = parseTable(stored.text);
        const pruned = acknowledgeWritten(table, written);
        if (pruned === table) return;
        await putIfUnchanged(
          s3,
          bucket,
          OBJECT_KEYS.metricTable,
          JSON.stringify(pruned),
          { expectedEtag: stored.etag },
          {
            contentType: 'application/json',
          },
        );
      },
      { deadline },
    );
  }
}
