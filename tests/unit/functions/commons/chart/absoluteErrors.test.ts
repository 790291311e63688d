import { describe, expect, it } from 'vitest';
import { summarizeErrors } from '../../../../../functions/commons/chart/absoluteErrors.js';
import { histogram } from '../../../../../functions/commons/chart/histogram.js';
import { errorHistogramChart } from '../../../../../functions/commons/chart/histogramChart.js';

describe('the histogram subtitle figures', () => {
  it('are the rows, MAE, RMSE and the 90th percentile at the rank metrics.json uses, exact', () => {
    const values = Array.from({ length: 20 }, (_, i) => 20 - i);

    const summary = summarizeErrors(values);

    expect(summary).toEqual({ rows: 20, meanAbsoluteError: 10.5, rootMeanSquaredError: Math.sqrt(2870 / 20), p90AbsoluteError: 18 });
  });

  it('are written under the title as n, MAE, RMSE and p90', () => {
    const chart = errorHistogramChart(histogram([1, 2, 3], 2), summarizeErrors([1, 2, 3])) as {
      options: { plugins: { subtitle: { text: string } } };
    };

    expect(chart.options.plugins.subtitle.text).toBe('n 3 · MAE 2.00 · RMSE 2.16 · p90 2.00');
  });
});
