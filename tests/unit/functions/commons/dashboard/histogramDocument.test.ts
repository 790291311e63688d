import { describe, expect, it } from 'vitest';
import { summarizeErrors } from '../../../../../functions/commons/chart/absoluteErrors.js';
import { histogram } from '../../../../../functions/commons/chart/histogram.js';
import { errorHistogramChart } from '../../../../../functions/commons/chart/histogramChart.js';
import { histogramDocument } from '../../../../../functions/commons/dashboard/histogramDocument.js';

describe('histogramDocument', () => {
  it('holds the bins and counts the PNG draws, with its figures', () => {
    // Prepare
    const values = [0.5, 1, 1.5, 2, 8, 9.75, 3, 3, 4.25, 0];
    const bins = histogram(values, 20);
    const summary = summarizeErrors(values);

    // Act
    const document = histogramDocument(bins, summary, new Date('2026-11-27T07:00:00Z'));

    // Assess
    const png = errorHistogramChart(bins, summary) as { data: { datasets: { data: number[] }[] } };
    expect(document.counts).toEqual(png.data.datasets[0]?.data);
    expect(document.edges).toEqual(bins.edges);
    expect(document.counts).toHaveLength(20);
    expect(document).toMatchObject({ updated_at: '2026-11-27T07:00:00.000Z', rows: 10, mae: summary.meanAbsoluteError, abs_error_p90: 8 });
  });
});
