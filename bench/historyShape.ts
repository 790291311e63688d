/**
 * The synthetic histories of the history phase (history.ts), pure: what a one-object
 * log of before the pieces holds after `rows` rows at a steady rate, ending at a
 * given time, and the minutes the pipeline goes on writing after it.
 *
 * Every history is at the same rate (HISTORY_ROWS_PER_SECOND: 1M rows span 2.8 hours,
 * 10M rows 28 hours) and ends at the same time, so the two differ in how much lies
 * behind them and in nothing else: the same rows per hour in the id index's recent
 * hours, the same minute appended. (At the same span instead, 10M rows would be ten
 * times the rate: that measures traffic, not history.)
 *
 * Ids are `features`'s (recordIds.ts): a run of RECORDS_PER_RUN records shares its
 * emission millisecond and run id, runs follow each other at the rate. Run ids are
 * counters, kept apart by their first hex digit: 0–7 the history's rows, 8 its
 * orphans, c–f the minutes written after it, so no two ids are ever the same.
 */
import { annotate, formatOrphanLine } from '../functions/commons/logs/logFiles.js';
import { formatMetricRow, metricRow } from '../functions/commons/logs/rowFormat.js';
import { recordId } from '../functions/commons/messaging/recordIds.js';
import { SETTINGS } from '../functions/commons/platform/settings.js';

/** A steady, busy production rate; the pipeline bench moves about as many. */
export const HISTORY_ROWS_PER_SECOND = 100;
/** `features`'s shipped RECORDS_PER_RUN: the records sharing an emission time and run id. */
export const RECORDS_PER_RUN = Number(SETTINGS.recordsPerRun.default);
/** One orphaned half for every this many rows, by default (`--history-rows-per-orphan`; 0: none). */
export const ROWS_PER_ORPHAN = 1_000;
/** A minute of rows at the rate, and the rows of each segment `metric` writes (one commit a second). */
export const MINUTE_ROWS = HISTORY_ROWS_PER_SECOND * 60;
export const SEGMENT_ROWS = HISTORY_ROWS_PER_SECOND;

const ORPHAN_RUNS = 0x8000_0000;
const MINUTE_RUNS = 0xc000_0000;
const ORPHAN_TTL_SECONDS = Number(SETTINGS.orphanTtlSeconds.default);

export interface HistoryShape {
  readonly rows: number;
  readonly orphans: number;
  /** Epoch ms of the first run's emission, and of the last one's. */
  readonly startMs: number;
  readonly endMs: number;
  readonly runs: number;
  /** Milliseconds between runs. */
  readonly runEveryMs: number;
}

export function historyShape(
  rows: number,
  endMs: number,
  { rowsPerSecond = HISTORY_ROWS_PER_SECOND, rowsPerOrphan = ROWS_PER_ORPHAN }: { rowsPerSecond?: number; rowsPerOrphan?: number } = {},
): HistoryShape {
  if (!Number.isInteger(rows) || rows < 1) throw new RangeError(`a history needs a whole number of rows, got ${rows}`);
  const runs = Math.ceil(rows / RECORDS_PER_RUN);
  const runEveryMs = (1000 * RECORDS_PER_RUN) / rowsPerSecond;
  if (runs >= ORPHAN_RUNS) throw new RangeError(`${rows} rows need more run ids than the history's ${ORPHAN_RUNS}`);
  return {
    rows,
    orphans: rowsPerOrphan > 0 ? Math.floor(rows / rowsPerOrphan) : 0,
    startMs: endMs - Math.round((runs - 1) * runEveryMs),
    endMs,
    runs,
    runEveryMs,
  };
}

const hex8 = (n: number) => n.toString(16).padStart(8, '0');

/** The id of the history's row `index` (from 0). */
export function historyRowId(shape: HistoryShape, index: number): string {
  const run = Math.floor(index / RECORDS_PER_RUN);
  return recordId(shape.startMs + Math.round(run * shape.runEveryMs), hex8(run), index % RECORDS_PER_RUN);
}

/** A true answer in the data set's range (25..346) and a prediction around it. */
function pair(random: () => number): { yTrue: number; yPred: number } {
  const yTrue = 25 + Math.floor(random() * 322);
  return { yTrue, yPred: yTrue + (random() - 0.5) * 2 * 120 * random() };
}

/** metric_log.csv's lines for rows `from`..`to` (exclusive), each ending in a newline. */
export function historyLines(shape: HistoryShape, from: number, to: number, random: () => number): string {
  let text = '';
  for (let i = from; i < to; i++) {
    const { yTrue, yPred } = pair(random);
    text += `${formatMetricRow(metricRow(historyRowId(shape, i), yTrue, yPred))}\n`;
  }
  return text;
}

/** orphans.csv's lines for orphans `from`..`to`: halves spread evenly over the history, each after its TTL. */
export function orphanLines(shape: HistoryShape, from: number, to: number, random: () => number): string {
  const span = shape.endMs - shape.startMs;
  let text = '';
  for (let j = from; j < to; j++) {
    const emitted = shape.startMs + Math.floor(((j + 0.5) * span) / Math.max(1, shape.orphans));
    const { yTrue, yPred } = pair(random);
    const half = j % 2 === 0 ? 'y_pred' : 'y_true';
    const missing = half === 'y_pred' ? 'y_true' : 'y_pred';
    text += `${formatOrphanLine({
      id: recordId(emitted, hex8(ORPHAN_RUNS + j), 0),
      half,
      value: half === 'y_pred' ? yPred : yTrue,
      firstSeen: emitted + 50,
      reason: `no ${missing} within ${ORPHAN_TTL_SECONDS} s`,
    })}\n`;
  }
  return text;
}

/** Row counts of the chunks a log of `total` rows is generated and uploaded in (each a multipart part: ≥ 5 MiB but the last). */
export function chunks(total: number, perChunk: number): { from: number; to: number }[] {
  const out: { from: number; to: number }[] = [];
  for (let from = 0; from < total; from += perChunk) out.push({ from, to: Math.min(total, from + perChunk) });
  return out;
}

export interface MinuteSegment {
  readonly firstSeq: number;
  readonly lines: readonly string[];
}

/**
 * The minute before `nowMs` as `metric` leaves it for `maintain`: MINUTE_ROWS rows in
 * segments of SEGMENT_ROWS, numbered from `firstSeq`, each line annotated with its
 * model, join time and event times (logFiles.ts `annotate`). `minute` (0, 1, …) keeps
 * each minute's run ids apart from every other's.
 */
export function minuteSegments(options: {
  readonly firstSeq: number;
  readonly nowMs: number;
  readonly minute: number;
  readonly model: string;
  readonly random: () => number;
  readonly rows?: number;
}): MinuteSegment[] {
  const rows = options.rows ?? MINUTE_ROWS;
  const runsPerMinute = Math.ceil(MINUTE_ROWS / RECORDS_PER_RUN);
  const runEveryMs = 60_000 / runsPerMinute;
  const segments: MinuteSegment[] = [];
  let lines: string[] = [];
  for (let i = 0; i < rows; i++) {
    const run = Math.floor(i / RECORDS_PER_RUN);
    const emitted = options.nowMs - 60_000 + Math.round(run * runEveryMs);
    const id = recordId(emitted, hex8(MINUTE_RUNS + options.minute * runsPerMinute + run), i % RECORDS_PER_RUN);
    const { yTrue, yPred } = pair(options.random);
    lines.push(
      annotate(formatMetricRow(metricRow(id, yTrue, yPred)), {
        model: options.model,
        at: options.nowMs,
        predictedAt: emitted + 20,
        labelledAt: emitted + 30,
      }),
    );
    if (lines.length === SEGMENT_ROWS || i === rows - 1) {
      segments.push({ firstSeq: options.firstSeq + i + 1 - lines.length, lines });
      lines = [];
    }
  }
  return segments;
}
