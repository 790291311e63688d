/**
 * The books behind metrics.json, pure: one aggregate for all rows, one per model
 * version, one per minute (the last day) and one per hour (the last 30 days) of
 * *prediction* time, and the orphans by the half they kept. `maintain` adds the rows
 * and orphans each compaction appends, stores the books (state/metrics-book.json) and
 * publishes the document.
 *
 * Time is when the prediction was made: a backfill lands in its own minutes and hours,
 * and a label that comes late updates the minute and hour of its prediction, even one
 * closed long ago (sums merge). A period is open (sums and a sketch of |error|) for its
 * first OPEN_MINUTES, resp. OPEN_HOURS; then it closes: its sums go on taking rows and
 * its quantiles are kept as they were (a sketch per period would make the books grow
 * with the traffic). So the books' size is bounded whatever the log's length or the
 * rate: at most a day of minutes and 30 days of hours. A row whose prediction time is
 * unknown (a log migrated from before times were kept) counts in the totals only, as
 * does one predicted before the hours' window.
 */
import type { RowNotes } from '../logs/logFiles.js';
import { checkMetricLine } from '../logs/rowFormat.js';
import {
  type Aggregate,
  addRow,
  addToSums,
  type ClosedAggregate,
  closeAggregate,
  emptyAggregate,
  fromStored,
  type StoredAggregate,
  type Summary,
  summarize,
  toStored,
} from './aggregate.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
/** Minutes kept in metrics.json: a day. */
export const WINDOW_MINUTES = 24 * 60;
/** Hours kept in metrics.json: 30 days. */
export const WINDOW_HOURS = 30 * 24;
/** A minute keeps its sketch this long after it starts, an hour likewise: then its quantiles are final. */
export const OPEN_MINUTES = 60;
export const OPEN_HOURS = 2;

export interface StoredBook {
  readonly version: 2;
  /** metric_log and orphans rows these books hold. */
  readonly rows: number;
  readonly orphanRows: number;
  readonly orphanedPredictions: number;
  readonly totals: StoredAggregate;
  readonly models: Readonly<Record<string, StoredAggregate>>;
  readonly minutes: readonly StoredPeriod[];
  readonly hours: readonly StoredPeriod[];
}

/** An open period has its aggregate (with the sketch); a closed one its sums and final quantiles. */
type StoredPeriod =
  | { readonly start: number; readonly aggregate: StoredAggregate }
  | { readonly start: number; readonly closed: ClosedAggregate };

type Period = { readonly start: number; aggregate: Aggregate } | { readonly start: number; closed: ClosedAggregate };

export type PeriodSummary = { readonly start: string } & Summary;

export interface MetricsDocument {
  readonly updated_at: string;
  readonly totals: Summary;
  /** By prediction time: each minute of the last day, and each hour of the last 30 days, that holds a row. */
  readonly minutes: readonly PeriodSummary[];
  readonly hours: readonly PeriodSummary[];
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

/** How a kind of period is kept: its length, how long it stays open, how many are kept. */
interface PeriodRule {
  readonly ms: number;
  readonly openMs: number;
  readonly keptMs: number;
}

const MINUTES: PeriodRule = { ms: MINUTE_MS, openMs: OPEN_MINUTES * MINUTE_MS, keptMs: WINDOW_MINUTES * MINUTE_MS };
const HOURS: PeriodRule = { ms: HOUR_MS, openMs: OPEN_HOURS * HOUR_MS, keptMs: WINDOW_HOURS * HOUR_MS };

/** The periods of one kind (minutes, or hours), by their start. */
class Periods {
  readonly #rule: PeriodRule;
  readonly #periods = new Map<number, Period>();

  constructor(rule: PeriodRule, stored: readonly StoredPeriod[] = []) {
    this.#rule = rule;
    for (const period of stored) {
      this.#periods.set(
        period.start,
        'aggregate' in period
          ? { start: period.start, aggregate: fromStored(period.aggregate) }
          : { ...period, closed: { ...period.closed } },
      );
    }
  }

  /** Adds a row predicted at `at` to its period, unless that is past the window (or more than a period ahead of `now`). */
  add(at: number, now: number, yTrue: number, yPred: number, absError: number): void {
    const start = Math.floor(at / this.#rule.ms) * this.#rule.ms;
    if (start <= now - this.#rule.keptMs || start > now + this.#rule.ms) return;
    const period = this.#periods.get(start);
    if (period === undefined) {
      const opened = { start, aggregate: emptyAggregate() };
      if (start < now - this.#rule.openMs) {
        // Past its open time already (a backfill): it starts closed, its quantiles those of its first rows.
        addRow(opened.aggregate, yTrue, yPred, absError);
        this.#periods.set(start, { start, closed: closeAggregate(opened.aggregate) });
        return;
      }
      this.#periods.set(start, opened);
      addRow(opened.aggregate, yTrue, yPred, absError);
    } else if ('aggregate' in period) {
      addRow(period.aggregate, yTrue, yPred, absError);
    } else {
      addToSums(period.closed, yTrue, yPred, absError);
    }
  }

  summaries(now: number): PeriodSummary[] {
    return [...this.#periods.values()]
      .filter((period) => period.start > now - this.#rule.keptMs)
      .sort((a, b) => a.start - b.start)
      .map((period) => ({
        start: new Date(period.start).toISOString(),
        ...summarize('aggregate' in period ? period.aggregate : period.closed),
      }));
  }

  /** As stored: periods past the window dropped, those past their open time closed. */
  toStored(now: number): StoredPeriod[] {
    const stored: StoredPeriod[] = [];
    for (const period of [...this.#periods.values()].sort((a, b) => a.start - b.start)) {
      if (period.start <= now - this.#rule.keptMs) {
        this.#periods.delete(period.start);
      } else if ('aggregate' in period && period.start < now - this.#rule.openMs) {
        const closed = { start: period.start, closed: closeAggregate(period.aggregate) };
        this.#periods.set(period.start, closed);
        stored.push(closed);
      } else {
        stored.push('aggregate' in period ? { start: period.start, aggregate: toStored(period.aggregate) } : period);
      }
    }
    return stored;
  }
}

export class MetricsBook {
  rows = 0;
  orphanRows = 0;
  #orphanedPredictions = 0;
  readonly #totals: Aggregate;
  readonly #models = new Map<string, Aggregate>();
  readonly #minutes: Periods;
  readonly #hours: Periods;

  constructor(stored?: StoredBook) {
    this.#totals = stored ? fromStored(stored.totals) : emptyAggregate();
    this.#minutes = new Periods(MINUTES, stored?.minutes);
    this.#hours = new Periods(HOURS, stored?.hours);
    if (stored === undefined) return;
    this.rows = stored.rows;
    this.orphanRows = stored.orphanRows;
    this.#orphanedPredictions = stored.orphanedPredictions;
    for (const [model, aggregate] of Object.entries(stored.models)) this.#models.set(model, fromStored(aggregate));
  }

  /**
   * A metric_log.csv line and its notes (undefined: nothing known but the row). It
   * counts in the minute and hour of its prediction; a row whose prediction time is not
   * known (migrated, or written before times were kept) in the totals only. A line that
   * is no row is not counted, and false says so (the caller reports it).
   */
  addRow(line: string, notes: RowNotes | undefined, now: number): boolean {
    const row = checkMetricLine(line);
    if (typeof row === 'string') return false;
    this.rows += 1;
    addRow(this.#totals, row.yTrue, row.yPred, row.absoluteError);
    if (notes?.model !== undefined) addRow(this.#aggregateOf(notes.model), row.yTrue, row.yPred, row.absoluteError);
    const predictedAt = notes?.predictedAt;
    if (predictedAt !== undefined) {
      this.#minutes.add(predictedAt, now, row.yTrue, row.yPred, row.absoluteError);
      this.#hours.add(predictedAt, now, row.yTrue, row.yPred, row.absoluteError);
    }
    return true;
  }

  /** An orphans.csv line (`id,half,value,first_seen,reason`). */
  addOrphan(line: string): void {
    this.orphanRows += 1;
    if (line.split(',')[1] === 'y_pred') this.#orphanedPredictions += 1;
  }

  document(now: number, around: Surroundings): MetricsDocument {
    const predictions = this.rows + this.#orphanedPredictions + around.pendingPredictions;
    return {
      updated_at: new Date(now).toISOString(),
      totals: summarize(this.#totals),
      minutes: this.#minutes.summaries(now),
      hours: this.#hours.summaries(now),
      models: Object.fromEntries([...this.#models].map(([model, aggregate]) => [model, summarize(aggregate)])),
      label_coverage: predictions === 0 ? null : this.rows / predictions,
      orphans: this.orphanRows,
      pending: around.pending,
      dead_letters: around.deadLetters,
    };
  }

  /** The books as stored: periods past their windows dropped, those past their open time closed. */
  toStored(now: number): StoredBook {
    return {
      version: 2,
      rows: this.rows,
      orphanRows: this.orphanRows,
      orphanedPredictions: this.#orphanedPredictions,
      totals: toStored(this.#totals),
      models: Object.fromEntries([...this.#models].map(([model, aggregate]) => [model, toStored(aggregate)])),
      minutes: this.#minutes.toStored(now),
      hours: this.#hours.toStored(now),
    };
  }

  #aggregateOf(model: string): Aggregate {
    let aggregate = this.#models.get(model);
    if (aggregate === undefined) {
      aggregate = emptyAggregate();
      this.#models.set(model, aggregate);
    }
    return aggregate;
  }
}

/**
 * A stored book, checked before it is trusted (a bad one is rebuilt). A version-1 book
 * (minutes by join time, closed ones as summaries without their sums) keeps its totals,
 * models and counts; its minutes, which could not take late labels, are let go.
 */
export function readStoredBook(value: unknown): StoredBook | undefined {
  const book = value as (Partial<Omit<StoredBook, 'version'>> & { version?: number }) | null;
  if (typeof book?.rows !== 'number' || typeof book.totals !== 'object' || book.totals === null) return undefined;
  if (book.version === 2 && Array.isArray(book.minutes) && Array.isArray(book.hours)) return book as StoredBook;
  if (book.version === 1) return { ...(book as Omit<StoredBook, 'version'>), version: 2, minutes: [], hours: [] };
  return undefined;
}
