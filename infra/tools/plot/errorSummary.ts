/**
 * The histogram's subtitle figures as summarizeErrors (functions/commons/chart/absoluteErrors.ts)
 * defines them (rows, MAE, RMSE, the |error| at rank ⌊0.9 (n − 1)⌋), in linear time and
 * no more memory: the sums in one pass, the p90 by selection in `values` itself rather
 * than by sorting a copy. A million rows: a few ms instead of a copy (8 MB) and a sort.
 * The sums run in file order, not sorted order, so MAE and RMSE may differ from
 * summarizeErrors' in the last bits; the p90 is the same value.
 */
import type { ErrorSummary } from '../../../functions/commons/chart/histogramChart.js';

/** Rearranges `values` so values[k] is the k-th smallest, smaller ones before it, larger after (Floyd and Rivest's SELECT). */
export function selectInPlace(values: Float64Array, k: number, left = 0, right = values.length - 1): void {
  // After d3-array's quickselect (ISC): sample a small range around k first, so each partition is close to k.
  while (right > left) {
    if (right - left > 600) {
      const n = right - left + 1;
      const m = k - left + 1;
      const z = Math.log(n);
      const s = 0.5 * Math.exp((2 * z) / 3);
      const sd = 0.5 * Math.sqrt((z * s * (n - s)) / n) * (m - n / 2 < 0 ? -1 : 1);
      selectInPlace(values, k, Math.max(left, Math.floor(k - (m * s) / n + sd)), Math.min(right, Math.floor(k + ((n - m) * s) / n + sd)));
    }
    const pivot = values[k] as number;
    let i = left;
    let j = right;
    swap(values, left, k);
    if ((values[right] as number) > pivot) swap(values, left, right);
    while (i < j) {
      swap(values, i, j);
      i++;
      j--;
      while ((values[i] as number) < pivot) i++;
      while ((values[j] as number) > pivot) j--;
    }
    if (values[left] === pivot) swap(values, left, j);
    else {
      j++;
      swap(values, j, right);
    }
    if (j <= k) left = j + 1;
    if (k <= j) right = j - 1;
  }
}

function swap(values: Float64Array, i: number, j: number): void {
  const value = values[i] as number;
  values[i] = values[j] as number;
  values[j] = value;
}

/** summarizeErrors' figures for `values` (finite, at least one), which it reorders. */
export function summarizeInPlace(values: Float64Array): ErrorSummary {
  const rows = values.length;
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < rows; i++) {
    const value = values[i] as number;
    sum += value;
    squares += value * value;
  }
  const rank = Math.floor(0.9 * (rows - 1));
  selectInPlace(values, rank);
  return {
    rows,
    meanAbsoluteError: sum / rows,
    rootMeanSquaredError: Math.sqrt(squares / rows),
    p90AbsoluteError: values[rank] ?? Number.NaN,
  };
}
