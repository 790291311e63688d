/**
 * The absolute errors of metric_log.csv, kept by a warm plot container between runs
 * so each run parses only the rows new since the last (see LogTail).
 */
import { checkMetricLine } from '../logs/rowFormat.js';
import type { ErrorSummary } from './histogramChart.js';

/**
 * The histogram's subtitle figures, exact: rows, MAE, RMSE and the 90th percentile of
 * |error| at rank ⌊0.9 (n − 1)⌋, as metrics.json's sketch ranks it (numpy's 'lower').
 */
export function summarizeErrors(values: ArrayLike<number>): ErrorSummary {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  let squares = 0;
  for (const value of sorted) {
    sum += value;
    squares += value * value;
  }
  const rows = sorted.length;
  return {
    rows,
    meanAbsoluteError: sum / rows,
    rootMeanSquaredError: Math.sqrt(squares / rows),
    p90AbsoluteError: sorted[Math.floor(0.9 * (rows - 1))] ?? Number.NaN,
  };
}

export class AbsoluteErrors {
  #values: number[] = [];

  get count(): number {
    return this.#values.length;
  }

  get values(): readonly number[] {
    return this.#values;
  }

  /** Adds metric_log.csv data lines (no header); returns those that are no rows, which are not counted. */
  add(lines: readonly string[]): string[] {
    const unread: string[] = [];
    for (const line of lines) {
      const row = checkMetricLine(line);
      if (typeof row === 'string') unread.push(line);
      else this.#values.push(row.absoluteError);
    }
    return unread;
  }

  clear(): void {
    this.#values = [];
  }
}
