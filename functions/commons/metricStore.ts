/**
 * The metric table and metric_log.csv in S3, and the mirror in LOGS_DIR.
 *
 * One invocation: (1) commit the batch's halves to the table, moving completed ids
 * into its outbox; (2) append the outbox to metric_log.csv, recording the last
 * appended row number in the object's `last-seq` metadata so an append is never
 * repeated; (3) drop what was appended from the outbox. Each step is a conditional
 * write retried on conflict, and each is safe to repeat, so a crash between steps
 * is repaired by the next invocation (the outbox is flushed by whoever comes next).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { OBJECT_KEYS } from './config.js';
import { METRIC_LOG_HEADER, formatMetricRows } from './csv.js';
import { writeMirror } from './localMirror.js';
import {
  type ApplyOutcome,
  EMPTY_TABLE,
  type Half,
  type MetricTable,
  type OutboxRow,
  acknowledgeFlushed,
  applyHalves,
  parseTable,
} from './metricTable.js';
import { getText, putIfUnchanged, retryOnConflict } from './s3Objects.js';

const LAST_SEQ = 'last-seq';

export interface MetricStoreOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly logsDir: string | undefined;
  readonly completedIdsKept: number;
  readonly now?: () => number;
}

export interface RecordOutcome extends Omit<ApplyOutcome, 'table'> {
  /** Rows appended to metric_log.csv by this invocation (its own and any left over). */
  readonly appendedRows: readonly OutboxRow[];
}

export class MetricStore {
  readonly #options: MetricStoreOptions;

  constructor(options: MetricStoreOptions) {
    this.#options = options;
  }

  async record(halves: readonly Half[]): Promise<RecordOutcome> {
    const { table, ...outcome } = await this.#commit(halves);
    if (table.outbox.length === 0) return { ...outcome, appendedRows: [] };
    const appendedRows = await this.#appendToLog(table.outbox);
    // Once the append returns, the log holds every outbox row (appended now or before).
    await this.#acknowledge(Math.max(...table.outbox.map((entry) => entry.seq)));
    return { ...outcome, appendedRows };
  }

  async readTable(): Promise<MetricTable> {
    const stored = await getText(this.#options.s3, this.#options.bucket, OBJECT_KEYS.metricTable);
    return stored === undefined ? EMPTY_TABLE : parseTable(stored.text);
  }

  #commit(halves: readonly Half[]): Promise<ApplyOutcome> {
    const { s3, bucket, completedIdsKept } = this.#options;
    const now = this.#options.now ?? Date.now;
    return retryOnConflict(async () => {
      const stored = await getText(s3, bucket, OBJECT_KEYS.metricTable);
      const table = stored === undefined ? EMPTY_TABLE : parseTable(stored.text);
      const outcome = applyHalves(table, halves, now(), completedIdsKept);
      if (outcome.table !== table) {
        await putIfUnchanged(s3, bucket, OBJECT_KEYS.metricTable, JSON.stringify(outcome.table), {
          expectedEtag: stored?.etag,
        }, { contentType: 'application/json' });
      }
      return outcome;
    });
  }

  /** Appends the outbox rows the log does not hold yet; returns the rows it appended. */
  #appendToLog(outbox: readonly OutboxRow[]): Promise<OutboxRow[]> {
    const { s3, bucket, logsDir } = this.#options;
    return retryOnConflict(async () => {
      const stored = await getText(s3, bucket, OBJECT_KEYS.metricLog);
      const lastSeq = Number(stored?.metadata[LAST_SEQ] ?? 0);
      const missing = outbox.filter((entry) => entry.seq > lastSeq);
      if (missing.length === 0) return [];
      const existing = stored === undefined || stored.text === '' ? `${METRIC_LOG_HEADER}\n` : stored.text;
      const separator = existing.endsWith('\n') ? '' : '\n';
      const text = existing + separator + formatMetricRows(missing.map((entry) => entry.row));
      const newLastSeq = String(missing.at(-1)?.seq ?? lastSeq);
      await putIfUnchanged(s3, bucket, OBJECT_KEYS.metricLog, text, { expectedEtag: stored?.etag }, {
        contentType: 'text/csv',
        metadata: { [LAST_SEQ]: newLastSeq },
      });
      await writeMirror(logsDir, OBJECT_KEYS.metricLog, text);
      return missing;
    });
  }

  #acknowledge(flushedSeq: number): Promise<void> {
    const { s3, bucket } = this.#options;
    return retryOnConflict(async () => {
      const stored = await getText(s3, bucket, OBJECT_KEYS.metricTable);
      if (stored === undefined) return;
      const table = parseTable(stored.text);
      const pruned = acknowledgeFlushed(table, flushedSeq);
      if (pruned === table) return;
      await putIfUnchanged(s3, bucket, OBJECT_KEYS.metricTable, JSON.stringify(pruned), { expectedEtag: stored.etag }, {
        contentType: 'application/json',
      });
    });
  }
}
