/**
 * The metric table in S3 and the log segments it feeds.
 *
 * One invocation: (1) commit the batch's halves to the table (conditional write,
 * retried on conflict), which moves completed ids and expired halves into the
 * table's outbox as numbered lines; (2) write each outbox batch as a log segment
 * (create-only, so a repeat is a no-op); (3) drop the written batches from the
 * outbox. Every step is safe to repeat, so a crash between steps is repaired by the
 * next invocation, whichever it is: the outbox is written by whoever comes next.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { OBJECT_KEYS } from './config.js';
import { crashPoint } from './faults.js';
import { LOGS } from './logs.js';
import { writeSegment } from './logStore.js';
import {
  type ApplyOutcome,
  EMPTY_TABLE,
  type Half,
  type MetricTable,
  type OutboxBatch,
  type TableRules,
  acknowledgeWritten,
  applyHalves,
  parseTable,
} from './metricTable.js';
import { getText, putIfUnchanged, retryOnConflict } from './s3Objects.js';

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

export class MetricStore {
  readonly #options: MetricStoreOptions;

  constructor(options: MetricStoreOptions) {
    this.#options = options;
  }

  /** Records halves; with none, it only expires old halves and writes what is left in the outbox. */
  async record(halves: readonly Half[]): Promise<RecordOutcome> {
    const { table, ...outcome } = await this.#commit(halves);
    crashPoint('metric:after-commit');
    const written = await this.#writeSegments(table.outbox);
    crashPoint('metric:after-segments');
    if (written.length > 0) await this.#acknowledge(written);
    return { ...outcome, segmentsWritten: written.length, pending: Object.keys(table.pending).length };
  }

  async readTable(): Promise<MetricTable> {
    const stored = await getText(this.#options.s3, this.#options.bucket, OBJECT_KEYS.metricTable);
    return stored === undefined ? EMPTY_TABLE : parseTable(stored.text);
  }

  #commit(halves: readonly Half[]): Promise<ApplyOutcome> {
    const { s3, bucket } = this.#options;
    const now = this.#options.now ?? Date.now;
    return retryOnConflict(async () => {
      const stored = await getText(s3, bucket, OBJECT_KEYS.metricTable);
      const table = stored === undefined ? EMPTY_TABLE : parseTable(stored.text);
      const outcome = applyHalves(table, halves, now(), this.#options);
      if (outcome.table !== table) {
        await putIfUnchanged(s3, bucket, OBJECT_KEYS.metricTable, JSON.stringify(outcome.table), { expectedEtag: stored?.etag }, {
          contentType: 'application/json',
        });
      }
      return outcome;
    });
  }

  async #writeSegments(outbox: readonly OutboxBatch[]): Promise<OutboxBatch[]> {
    const { s3, bucket } = this.#options;
    await Promise.all(outbox.map((batch) => writeSegment(s3, bucket, LOGS[batch.log], batch.firstSeq, batch.lines)));
    return [...outbox];
  }

  #acknowledge(written: readonly OutboxBatch[]): Promise<void> {
    const { s3, bucket } = this.#options;
    return retryOnConflict(async () => {
      const stored = await getText(s3, bucket, OBJECT_KEYS.metricTable);
      if (stored === undefined) return;
      const table = parseTable(stored.text);
      const pruned = acknowledgeWritten(table, written);
      if (pruned === table) return;
      await putIfUnchanged(s3, bucket, OBJECT_KEYS.metricTable, JSON.stringify(pruned), { expectedEtag: stored.etag }, {
        contentType: 'application/json',
      });
    });
  }
}
