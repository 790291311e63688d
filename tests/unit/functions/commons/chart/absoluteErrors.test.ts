import { describe, expect, it } from 'vitest';
import { AbsoluteErrors, summarizeErrors } from '../../../../../functions/commons/chart/absoluteErrors.js';
import { histogram } from '../../../../../functions/commons/chart/histogram.js';
import { errorHistogramChart } from '../../../../../functions/commons/chart/histogramChart.js';

describe('AbsoluteErrors', () => {
  it('keeps the absolute errors of the lines it is given', () => {
    const errors = new AbsoluteErrors();

    errors.add(['a,1.0,3.0,2.0', 'b,5.0,1.0,4.0']);
    errors.add(['c,0.0,0.0,0.0']);

    expect(errors.values).toEqual([2, 4, 0]);
    expect(errors.count).toBe(3);
  });

  it('forgets everything when cleared', () => {
    const errors = new AbsoluteErrors();
    errors.add(['a,1.0,3.0,2.0']);

    errors.clear();

    expect(errors.values).toEqual([]);
    expect(errors.count).toBe(0);
  });

  it('skips a line that is not a metric_log row, and returns it to be reported', () => {
    const errors = new AbsoluteErrors();

    expect(errors.add(['a,1.0,3.0,2.0', 'id,y_true,y_pred,absolute_error', 'b,1.0,1.5,0.5', 'garbage'])).toEqual([
      'id,y_true,y_pred,absolute_error',
      'garbage',
    ]);
    expect(errors.values).toEqual([2, 0.5]);
  });
});

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
