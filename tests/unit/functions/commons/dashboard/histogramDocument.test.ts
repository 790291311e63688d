import { describe, expect, it } from 'vitest';
import { histogram } from '../../../../../functions/commons/chart/histogram.js';
import { errorHistogramChart } from '../../../../../functions/commons/chart/histogramChart.js';
import { histogramDocument, summaryOf } from '../../../../../functions/commons/dashboard/histogramDocument.js';
import { addRow, emptyAggregate, summarize } from '../../../../../functions/commons/metrics/aggregate.js';

describe('histogramDocument', () => {
  it("holds the bins and counts the PNG draws, with metrics.json's figures of the same rows", () => {
    // Prepare
    const values = [0.5, 1, 1.5, 2, 8, 9.75, 3, 3, 4.25, 0];
    const bins = histogram(values, 20);
    const totals = emptyAggregate();
    for (const value of values) addRow(totals, 10, 10 + value, value);

    // Act
    const document = histogramDocument(bins, summarize(totals), new Date('2026-11-27T07:00:00Z'));

    // Assess
    const png = errorHistogramChart(bins, summaryOf(document)) as { data: { datasets: { data: number[] }[] } };
    expect(document.counts).toEqual(png.data.datasets[0]?.data);
    expect(document.edges).toEqual(bins.edges);
    expect(document.counts).toHaveLength(20);
    expect(document).toMatchObject({ updated_at: '2026-11-27T07:00:00.000Z', rows: 10, mae: 3.3 });
    expect(document.abs_error_p90).toBeCloseTo(8, 0);
    expect(summaryOf(document)).toEqual({
      rows: 10,
      meanAbsoluteError: document.mae,
      rootMeanSquaredError: document.rmse,
      p90AbsoluteError: document.abs_error_p90,
    });
  });
});
