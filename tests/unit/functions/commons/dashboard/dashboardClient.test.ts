import { describe, expect, it } from 'vitest';
import {
  alertLines,
  histogramBars,
  kpiFigures,
  minuteSeries,
  modelRows,
  percent,
  scatterPoints,
} from '../../../../../functions/commons/dashboard/dashboard.client.js';

const metrics = {
  updated_at: '2026-11-27T07:00:00.000Z',
  totals: { n: 1204, mae: 43.125, rmse: 54.0, bias: -0.804, abs_error_p90: 89.6 },
  minutes: [
    { start: '2026-11-26T00:00:00.000Z', n: 5, mae: 1, rmse: 2 },
    { start: '2026-11-27T06:58:00.000Z', n: 10, mae: 40.2, rmse: 50.1 },
    { start: '2026-11-27T06:59:00.000Z', n: 0, mae: null, rmse: null },
  ],
  models: {
    'ols-3f2a9c1d': { n: 1200, mae: 43, rmse: 54, bias: -0.8, abs_error_p90: 89.6 },
    v2: { n: 4, mae: 1, rmse: 1, bias: 1, abs_error_p90: 1 },
  },
  label_coverage: 0.99123,
  orphans: 2,
  pending: 10,
  dead_letters: null,
};

describe('the dashboard script', () => {
  it('shows each KPI of metrics.json: errors with two decimals, coverage as a percentage, null as a dash', () => {
    const figures = kpiFigures(metrics);

    expect(Object.fromEntries(Object.entries(figures).map(([name, figure]) => [name, figure.text]))).toMatchObject({
      rows: '1204',
      mae: '43.13',
      rmse: '54.00',
      abs_error_p90: '89.60',
      bias: '-0.80',
      label_coverage: '99.1 %',
      orphans: '2',
      dead_letters: '—',
      pending: '10',
    });
    expect(figures.rows?.value).toBe(1204);
    expect(figures.last_row?.value).toBe('2026-11-27T06:58:00.000Z');
    expect(percent(null)).toBe('—');
  });

  it('charts the minutes with rows of the last hours', () => {
    const series = minuteSeries(metrics);

    expect(series.mae).toEqual([40.2]);
    expect(series.rmse).toEqual([50.1]);
    expect(series.labels).toHaveLength(1);
  });

  it('labels the histogram bins as the PNG does', () => {
    expect(histogramBars({ edges: [0, 0.55, 1.1], counts: [3, 1] })).toEqual({ labels: ['0.0–0.6', '0.6–1.1'], counts: [3, 1] });
    expect(histogramBars(null)).toEqual({ labels: [], counts: [] });
  });

  it('draws y = x over the range of both axes', () => {
    expect(scatterPoints({ rows: 2, y_true: [10, 30], y_pred: [5, 20] })).toEqual({
      points: [
        { x: 10, y: 5 },
        { x: 30, y: 20 },
      ],
      line: [
        { x: 5, y: 5 },
        { x: 30, y: 30 },
      ],
    });
  });

  it('lists the model versions, most rows first', () => {
    expect(modelRows(metrics).map((row) => row[0])).toEqual(['ols-3f2a9c1d', 'v2']);
    expect(modelRows(metrics)[0]).toEqual(['ols-3f2a9c1d', '1200', '43.00', '54.00', '-0.80', '89.60']);
  });

  it('says each firing alert in one line, with its own summary when it has one, and nothing without alerts.json', () => {
    const at = '2026-11-27T07:00:00.000Z';
    const lines = alertLines({
      firing: [
        { rule: 'mae_ratio', state: 'FIRING', value: 61.234, threshold: 45, window: 15, at },
        {
          rule: 'coverage_below',
          state: 'FIRING',
          value: 0.5,
          threshold: 0.8,
          window: 'all',
          at,
          summary: 'label coverage 0.5 over all 40 rows is below 0.8',
        },
      ],
    });

    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^FIRING: mae_ratio over 15 min: 61\.23, threshold 45\.00 \(since \d/);
    expect(lines[1]).toMatch(/^FIRING: coverage_below: label coverage 0\.5 over all 40 rows is below 0\.8 \(since \d/);
    expect(alertLines(null)).toEqual([]);
    expect(alertLines({ rules: [], firing: [], recent: [] })).toEqual([]);
  });
});
