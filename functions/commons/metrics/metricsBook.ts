/**
 * The books behind metrics.json, pure: one aggregate for all rows, one per model
 * version, one per minute the rows were joined in (the last 24 hours), and the
 * orphans by the half they kept. `maintain` adds the rows and orphans each compaction
 * appends, stores the books (state/metrics-book.json) and publishes the document.
 *
 * Its size is bounded whatever the log's length: a minute older than OPEN_MINUTES
 * keeps its summary and sums, not its sketch, and minutes older than a day are
 * dropped. A row whose join time is unknown (restored from logs/, or appended by a
 * run that died before storing the books) counts in the totals only.
 */
import type { RowNotes } from '../logs/logFiles.js';
import { checkMetricLine } from '../logs/rowFormat.js';
import {
  type Aggregate,
  addRow,
  emptyAggregate,
  fromStored,
  type StoredAggregate,
  type Summary,
  summarize,
  toStored,
} from './aggregate.js';

const MINUTE_MS = 60_000;
/** Minutes kept in metrics.json. */
export const WINDOW_MINUTES = 24 * 60;
/** Minutes that may still receive rows: a row joined longer ago than this counts in the current minute. */
const OPEN_MINUTES = 10;

export interface StoredBook {
  readonly version: 1;
  /** metric_log.csv and orphans.csv rows these books hold. */
  readonly rows: number;
  readonly orphanRows: number;
  readonly orphanedPredictions: number;
  readonly totals: StoredAggregate;
  readonly models: Readonly<Record<string, StoredAggregate>>;
  readonly minutes: readonly StoredMinute[];
}

/** An open minute has its aggregate; a closed one only its summary. */
type StoredMinute = { readonly start: number; readonly aggregate: StoredAggregate } | { readonly start: number; readonly summary: Summary };

export interface MetricsDocument {
  readonly updated_at: string;
  readonly totals: Summary;
  readonly minutes: readonly ({ readonly start: string } & Summary)[];
  readonly models: Readonly<Record<string, Summary>>;
  /** Predictions that got their true answer: rows / (rows + orphaned and pending predictions); null before any. */
  readonly label_coverage: number | null;
  readonly orphans: number;
  readonly pending: number;
  /** Messages in the dead-letter queues; null when they could not be counted. */
  readonly dead_letters: number | null;
}

/** What the document needs besides the books: the join table's and the queues' state. */
export interface Surroundings {
  readonly pending: number;
  readonly pendingPredictions: number;
  readonly deadLetters: number | null;
}

type Minute = { start: number; aggregate: Aggregate } | { start: number; summary: Summary };

export class MetricsBook {
  rows = 0;
  orphanRows = 0;
  #orphanedPredictions = 0;
  readonly #totals: Aggregate;
  readonly #models = new Map<string, Aggregate>();
  readonly #minutes = new Map<number, Minute>();

  constructor(stored?: StoredBook) {
    this.#totals = stored ? fromStored(stored.totals) : emptyAggregate();
    if (stored === undefined) return;
    this.rows = stored.rows;
    this.orphanRows = stored.orphanRows;
    this.#orphanedPredictions = stored.orphanedPredictions;
    for (const [model, aggregate] of Object.entries(stored.models)) this.#models.set(model, fromStored(aggregate));
    for (const minute of stored.minutes) {
      this.#minutes.set(minute.start, 'aggregate' in minute ? { start: minute.start, aggregate: fromStored(minute.aggregate) } : minute);
    }
  }

  /**
   * A metric_log.csv line; `notes` undefined: its join time and model are not known.
   * A line that is no row is not counted, and false says so (the caller reports it).
   */
  addRow(line: string, notes: RowNotes | undefined, now: number): boolean {
    const row = checkMetricLine(line);
    if (typeof row === 'string') return false;
    this.rows += 1;
    addRow(this.#totals, row.yTrue, row.yPred, row.absoluteError);
    if (notes === undefined) return true;
    if (notes.model !== undefined) addRow(this.#aggregateOf(this.#models, notes.model), row.yTrue, row.yPred, row.absoluteError);
    addRow(this.#openMinute(notes.at, now), row.yTrue, row.yPred, row.absoluteError);
    return true;
  }

  /** An orphans.csv line (`id,half,value,first_seen,reason`). */
  addOrphan(line: string): void {
    this.orphanRows += 1;
    if (line.split(',')[1] === 'y_pred') this.#orphanedPredictions += 1;
  }

  document(now: number, around: Surroundings): MetricsDocument {
    const predictions = this.rows + this.#orphanedPredictions + around.pendingPredictions;
    const minutes = [...this.#minutes.values()]
      .filter((minute) => minute.start > now - WINDOW_MINUTES * MINUTE_MS)
      .sort((a, b) => a.start - b.start)
      .map((minute) => ({
        start: new Date(minute.start).toISOString(),
        ...('aggregate' in minute ? summarize(minute.aggregate) : minute.summary),
      }));
    return {
      updated_at: new Date(now).toISOString(),
      totals: summarize(this.#totals),
      minutes,
      models: Object.fromEntries([...this.#models].map(([model, aggregate]) => [model, summarize(aggregate)])),
      label_coverage: predictions === 0 ? null : this.rows / predictions,
      orphans: this.orphanRows,
      pending: around.pending,
      dead_letters: around.deadLetters,
    };
  }

  /** The books as stored: minutes past the window dropped, closed ones kept as summaries. */
  toStored(now: number): StoredBook {
    const minutes: StoredMinute[] = [];
    for (const minute of this.#minutes.values()) {
      if (minute.start <= now - WINDOW_MINUTES * MINUTE_MS) {
        this.#minutes.delete(minute.start);
        continue;
      }
      if ('aggregate' in minute && minute.start < minuteOf(now) - OPEN_MINUTES * MINUTE_MS) {
        const closed = { start: minute.start, summary: summarize(minute.aggregate) };
        this.#minutes.set(minute.start, closed);
        minutes.push(closed);
      } else {
        minutes.push('aggregate' in minute ? { start: minute.start, aggregate: toStored(minute.aggregate) } : minute);
      }
    }
    return {
      version: 1,
      rows: this.rows,
      orphanRows: this.orphanRows,
      orphanedPredictions: this.#orphanedPredictions,
      totals: toStored(this.#totals),
      models: Object.fromEntries([...this.#models].map(([model, aggregate]) => [model, toStored(aggregate)])),
      minutes,
    };
  }

  #aggregateOf(map: Map<string, Aggregate>, key: string): Aggregate {
    let aggregate = map.get(key);
    if (aggregate === undefined) {
      aggregate = emptyAggregate();
      map.set(key, aggregate);
    }
    return aggregate;
  }

  /** The minute a row joined at `at` counts in: its own while open, else the current one. */
  #openMinute(at: number, now: number): Aggregate {
    let start = minuteOf(at);
    const current = this.#minutes.get(start);
    if (start < minuteOf(now) - OPEN_MINUTES * MINUTE_MS || (current !== undefined && !('aggregate' in current))) start = minuteOf(now);
    const minute = this.#minutes.get(start);
    if (minute !== undefined && 'aggregate' in minute) return minute.aggregate;
    const opened = { start, aggregate: emptyAggregate() };
    this.#minutes.set(start, opened);
    return opened.aggregate;
  }
}

function minuteOf(epochMs: number): number {
  return Math.floor(epochMs / MINUTE_MS) * MINUTE_MS;
}

/** Checks a stored book's shape before trusting it (a bad one is rebuilt from the log). */
export function isStoredBook(value: unknown): value is StoredBook {
  const book = value as Partial<StoredBook> | null;
  return book?.version === 1 && typeof book.rows === 'number' && typeof book.totals === 'object' && Array.isArray(book.minutes);
}
