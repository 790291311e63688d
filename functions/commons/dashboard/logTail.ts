/**
 * The latest rows of the log from the last bytes of its newest piece, pure: the
 * dashboard reads only a ranged tail (whatever the log's length) and keeps the whole
 * lines in it: the log's own four columns and the piece's model column (pieces.ts), so
 * the scatter can colour each row by its model version.
 */
import { METRIC_LOG_HEADER, type MetricRow, parseMetricLine } from '../logs/rowFormat.js';

const OWN_COLUMNS = 4;

/** A row of the tail with its model version ('' when the piece has none: a seed row, a restored copy). */
export type TailRow = MetricRow & { readonly model: string };

/** Rows the predicted-vs-actual chart shows at most. */
export const TAIL_ROWS = 1_000;
/** Bytes read from the log's end: 1,000 rows of 128-character ids and full-precision numbers fit. */
export const TAIL_BYTES = 256 * 1024;

/**
 * The last `limit` rows of `text`, the log's bytes from `start` on. Unless the text
 * starts the file, its first line may be cut: it is dropped. The header, a partial
 * last line (a crash mid-append) and anything that is not a row are skipped.
 */
export function tailRows(text: string, start: number, limit = TAIL_ROWS): TailRow[] {
  const lines = text.split(/\r?\n/);
  if (start > 0) lines.shift();
  if (!text.endsWith('\n')) lines.pop();
  const rows: TailRow[] = [];
  for (let i = lines.length - 1; i >= 0 && rows.length < limit; i--) {
    const fields = (lines[i] as string).split(',');
    const line = fields.slice(0, OWN_COLUMNS).join(',');
    if (line === '' || line === METRIC_LOG_HEADER) continue;
    try {
      rows.push({ ...parseMetricLine(line), model: fields[OWN_COLUMNS] ?? '' });
    } catch {
      // Not a row (a cut line): skipped, the chart shows the others.
    }
  }
  return rows.reverse();
}

/** Where a `Content-Range: bytes 100-199/200` answer starts; 0 when absent (the whole object). */
export function rangeStart(contentRange: string | undefined): number {
  const match = /^bytes (\d+)-\d+\/\d+$/.exec(contentRange ?? '');
  return match === null ? 0 : Number(match[1]);
}

/** rows.json: the rows as compact columns. */
export interface RowsDocument {
  readonly rows: number;
  readonly y_true: readonly number[];
  readonly y_pred: readonly number[];
  /** Each row's model version, '' when unknown. */
  readonly model: readonly string[];
}

export function rowsDocument(rows: readonly TailRow[]): RowsDocument {
  return {
    rows: rows.length,
    y_true: rows.map((row) => row.yTrue),
    y_pred: rows.map((row) => row.yPred),
    model: rows.map((row) => row.model),
  };
}
