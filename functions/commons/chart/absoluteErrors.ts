/** The histogram subtitle's figures computed from every value, exactly (`npm run plot`, which reads a whole CSV). */
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
