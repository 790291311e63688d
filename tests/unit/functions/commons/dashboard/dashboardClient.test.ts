import { describe, expect, it } from 'vitest';
import {
  alertLines,
  distributionBars,
  driftView,
  errorSeries,
  estimateSeries,
  grouped,
  histogramBars,
  kpiFigures,
  modelRows,
  NO_SEGMENTS,
  NO_VERSION,
  percent,
  rangeOf,
  scatterPoints,
  segmentView,
  significant3,
  versionSeries,
} from '../../../../../functions/commons/dashboard/dashboard.client.js';

const metrics = {
  updated_at: '2026-11-27T07:00:00.000Z',
  totals: {
    n: 1204,
    mae: 43.125,
    rmse: 54.0,
    bias: -0.804,
    abs_error_p90: 89.6,
    r2: 0.4567,
    mape: 0.3712,
    estimated_mae: 41.5,
    unlabelled: 7,
  },
  minutes: [
    { start: '2026-11-26T00:00:00.000Z', n: 5, mae: 1, rmse: 2 },
    { start: '2026-11-27T06:58:00.000Z', n: 10, mae: 40.2, rmse: 50.1 },
    { start: '2026-11-27T06:59:00.000Z', n: 0, mae: null, rmse: null },
  ],
  hours: [
    { start: '2026-11-10T06:00:00.000Z', n: 1, mae: 99, rmse: 98 },
    { start: '2026-11-20T08:00:00.000Z', n: 3, mae: 7, rmse: 8 },
    { start: '2026-11-27T06:00:00.000Z', n: 15, mae: 30, rmse: 35 },
  ],
  models: {
    'ols-3f2a9c1d': { n: 1200, mae: 43, rmse: 54, bias: -0.8, abs_error_p90: 89.6, r2: 0.5, mape: 0.25, estimated_mae: 40 },
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
      r2: '0.457',
      mape: '37.1 %',
      estimated_mae: '41.50',
      unlabelled: '7',
      orphans: '2',
      dead_letters: '—',
      pending: '10',
    });
    expect(figures.rows?.value).toBe(1204);
    expect(figures.last_row?.value).toBe('2026-11-27T06:58:00.000Z');
    expect(percent(null)).toBe('—');
  });

  it('shows a document of before the estimates and R² with dashes, not errors', () => {
    const old = { updated_at: metrics.updated_at, totals: { n: 3, mae: 1, rmse: 1, bias: 0, abs_error_p90: 1 }, minutes: [] };

    const figures = kpiFigures(old);

    expect([figures.estimated_mae?.text, figures.r2?.text, figures.mape?.text, figures.unlabelled?.text]).toEqual(['—', '—', '—', '—']);
    expect(versionSeries(old, '7d')).toEqual({ labels: [], versions: [] });
    expect(estimateSeries(old, '1h')).toEqual({ labels: [], realised: [], estimated: [] });
  });

  it('charts the periods with rows of the chosen range: minutes up to 24 h, hours for 7 and 30 days', () => {
    expect(errorSeries(metrics, '6h').mae).toEqual([40.2]);
    expect(errorSeries(metrics, '6h').rmse).toEqual([50.1]);
    expect(errorSeries(metrics, '6h').labels).toHaveLength(1);
    expect(errorSeries(metrics, '24h').mae).toEqual([40.2]);
    expect(errorSeries(metrics, '7d').mae).toEqual([7, 30]);
    expect(errorSeries(metrics, '30d').rmse).toEqual([98, 8, 35]);
    expect(rangeOf('not-a-range')).toBe(rangeOf('6h'));
  });

  it('charts the estimate where there is no label yet, beside the realised MAE', () => {
    const withEstimates = {
      updated_at: '2026-11-27T07:00:00.000Z',
      minutes: [
        { start: '2026-11-27T06:57:00.000Z', n: 4, mae: 10, estimated_mae: 11, estimated_n: 6 },
        { start: '2026-11-27T06:58:00.000Z', n: 0, mae: null, estimated_mae: 12.5, estimated_n: 3 },
        { start: '2026-11-27T06:59:00.000Z', n: 0, mae: null, estimated_mae: null, estimated_n: 0 },
      ],
    };

    expect(estimateSeries(withEstimates, '1h')).toMatchObject({ realised: [10, null], estimated: [11, 12.5] });
  });

  it("charts each version's MAE on one time axis, null where a version has no rows", () => {
    const perVersion = {
      ...metrics,
      models_minutes: {
        v2: [{ start: '2026-11-27T06:59:00.000Z', n: 2, mae: 3 }],
        'ols-3f2a9c1d': [
          { start: '2026-11-27T06:58:00.000Z', n: 5, mae: 40 },
          { start: '2026-11-27T06:59:00.000Z', n: 5, mae: 41 },
        ],
      },
      models_hours: { v2: [{ start: '2026-11-27T06:00:00.000Z', n: 4, mae: 1 }] },
    };

    expect(versionSeries(perVersion, '1h').versions).toEqual([
      { version: 'ols-3f2a9c1d', mae: [40, 41] },
      { version: 'v2', mae: [null, 3] },
    ]);
    expect(versionSeries(perVersion, '1h').labels).toHaveLength(2);
    expect(versionSeries(perVersion, '7d').versions).toEqual([{ version: 'v2', mae: [1] }]);
  });

  it('labels the histogram bins as the PNG does', () => {
    expect(histogramBars({ edges: [0, 0.55, 1.1], counts: [3, 1] })).toEqual({ labels: ['0.0–0.6', '0.6–1.1'], counts: [3, 1] });
    expect(histogramBars(null)).toEqual({ labels: [], counts: [] });
  });

  it('groups the scatter by model version, in the given order, rows without one last; y = x over both axes', () => {
    expect(scatterPoints({ rows: 3, y_true: [10, 30, 1], y_pred: [5, 20, 2], model: ['', 'b', 'a'] }, ['a', 'b'])).toEqual({
      versions: [
        { version: 'a', points: [{ x: 1, y: 2 }] },
        { version: 'b', points: [{ x: 30, y: 20 }] },
        { version: NO_VERSION, points: [{ x: 10, y: 5 }] },
      ],
      line: [
        { x: 1, y: 1 },
        { x: 30, y: 30 },
      ],
    });
    expect(scatterPoints({ rows: 2, y_true: [10, 30], y_pred: [5, 20] })).toEqual({
      versions: [
        {
          version: NO_VERSION,
          points: [
            { x: 10, y: 5 },
            { x: 30, y: 20 },
          ],
        },
      ],
      line: [
        { x: 5, y: 5 },
        { x: 30, y: 30 },
      ],
    });
  });

  it('lists the model versions, most rows first', () => {
    expect(modelRows(metrics).map((row) => row[0])).toEqual(['ols-3f2a9c1d', 'v2']);
    expect(modelRows(metrics)[0]).toEqual(['ols-3f2a9c1d', '1200', '43.00', '40.00', '54.00', '0.500', '25.0 %', '-0.80', '89.60']);
    expect(modelRows(metrics)[1]).toEqual(['v2', '4', '1.00', '—', '1.00', '—', '—', '1.00', '1.00']);
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

  describe('the segments panel', () => {
    const figures = (n: number, mae: number | null, extra: object = {}) => ({
      n,
      mae,
      rmse: mae === null ? null : mae * 2,
      r2: 0.5,
      mape: 0.125,
      estimated_mae: 10,
      unlabelled: 1,
      ...extra,
    });
    const withSegments = {
      ...metrics,
      segments: {
        sex: { F: figures(40, 20), M: figures(40, 30), x: figures(2, 99) },
        'age:4': {
          Q1: figures(300, 12),
          Q4: figures(1024, 61.2),
          Q2: figures(0, null, { estimated_mae: 40, r2: null, mape: null }),
          Q3: figures(5, null),
        },
        empty: {},
      },
      worst_segment: { by: 'age:4', segment: 'Q4', mae: 61.2, n: 1024 },
    };

    it("shows the worst segment's rule first, its segments by MAE, highest first, those without one last by rows", () => {
      const view = segmentView(withSegments);

      expect(view.rules).toEqual(['sex', 'age:4']);
      expect(view.rule).toBe('age:4');
      expect(view.summary).toBe('worst segment: age:4 = Q4, MAE 61.20 over 1,024 rows');
      expect(view.rows.map((row) => [row.segment, row.mae, row.worst])).toEqual([
        ['Q4', 61.2, true],
        ['Q1', 12, false],
        ['Q3', null, false],
        ['Q2', null, false],
      ]);
      expect(view.rows[0]?.cells).toEqual(['Q4', '1024', '61.20', '10.00', '122.40', '0.500', '12.5 %', '1']);
      expect(view.rows[3]?.cells).toEqual(['Q2', '0', '—', '40.00', '—', '—', '—', '1']);
    });

    it('shows the chosen rule, without a worst row when the worst is in another; long values cut under the bars', () => {
      const long = 'a segment value much longer than a bar';
      const view = segmentView({ ...withSegments, segments: { ...withSegments.segments, sex: { [long]: figures(1, 5) } } }, 'sex');

      expect(view.rule).toBe('sex');
      expect(view.summary).toMatch(/^worst segment: age:4 = Q4/);
      expect(view.rows.map((row) => [row.segment, row.label, row.worst])).toEqual([[long, 'a segment value…', false]]);
      expect(segmentView(withSegments, 'empty').rule).toBe('age:4');
    });

    it('says how to have segments without them, and that none is the worst before any has enough rows', () => {
      for (const document of [metrics, { ...metrics, segments: {}, worst_segment: null }, { segments: { sex: {} } }, null])
        expect(segmentView(document)).toEqual({ rules: [], rule: undefined, summary: NO_SEGMENTS, rows: [] });
      expect(NO_SEGMENTS).toContain('SEGMENT_BY=sex,age:4 npm start');
      const noWorst = segmentView({ segments: { sex: { F: figures(3, 1) } }, worst_segment: null });
      expect([noWorst.rule, noWorst.summary]).toEqual(['sex', 'no worst segment yet: no segment has enough labelled rows to be named']);
      expect([grouped(1234567), grouped(null)]).toEqual(['1,234,567', '—']);
    });
  });

  describe('the drift panel', () => {
    const entry = (figures: object, drifted: boolean) => ({
      psi: null,
      wasserstein: null,
      ks_statistic: null,
      ks_p_value: null,
      ...figures,
      drifted,
      decile_edges: [1, 2, 3, 4, 5, 6, 7, 8, 9],
      reference_shares: Array(10).fill(0.1),
      current_shares: [0.2, 0.2, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05],
    });
    const drift = {
      updated_at: '2026-11-27T07:00:00.000Z',
      window: { from: '2026-11-27T06:45:00.000Z', to: '2026-11-27T07:00:00.000Z', minutes: 15 },
      method: 'auto',
      drift_share_threshold: 0.5,
      models: {
        small: {
          reference_rows: 10,
          rows: 5,
          test: 'psi',
          threshold: 0.1,
          features: { age: entry({ psi: 0.25 }, true) },
          drifted_features: ['age'],
          drift_share: 1,
          dataset_drift: true,
        },
        big: {
          reference_rows: 442,
          rows: 900,
          test: 'ks',
          threshold: 0.05,
          features: { bmi: entry({ ks_p_value: 0.000012345 }, true), prediction: entry({ ks_p_value: 0.5 }, false) },
          prediction: entry({ ks_p_value: 0.73 }, false),
          drifted_features: ['bmi'],
          drift_share: 0.5,
          dataset_drift: false,
        },
      },
    };

    it("shows the version with most rows: each feature's figure of its test against the threshold, and the prediction", () => {
      const view = driftView(drift);

      expect(view.versions).toEqual(['big', 'small']);
      expect(view.rows.map((row) => [row.name, row.test, row.text, row.threshold, row.verdict])).toEqual([
        ['bmi', 'KS p-value', '0.0000123', '≤ 0.05', 'drifted'],
        ['prediction', 'KS p-value', '0.5', '≤ 0.05', 'ok'],
        ['prediction', 'KS p-value', '0.73', '≤ 0.05', 'ok'],
      ]);
      expect(view.summary).toMatch(
        /^1 of 2 features drifted \(share 50\.0 %, dataset drift at 50\.0 %\): no dataset drift; 900 rows over 15 min/,
      );
      expect(driftView(drift, 'small').rows.map((row) => [row.test, row.text, row.threshold])).toEqual([['PSI', '0.25', '≥ 0.1']]);
    });

    it('says there are no figures yet without drift.json or a reference', () => {
      expect(driftView(null)).toEqual({ versions: [], version: undefined, summary: 'no reference / no drift figures yet', rows: [] });
      expect(driftView({ models: {} }).rows).toEqual([]);
      expect(distributionBars(null, undefined, undefined)).toEqual({ labels: [], reference: [], current: [] });
    });

    it("draws a feature's shares by the reference's deciles, a feature called prediction apart from the prediction", () => {
      const [feature, prediction] = driftView(drift).rows.slice(1);

      const bars = distributionBars(drift, 'big', feature?.key);

      expect(bars.labels).toEqual(['< 1', '1–2', '2–3', '3–4', '4–5', '5–6', '6–7', '7–8', '8–9', '≥ 9']);
      expect(bars.current).toEqual(drift.models.big.features.prediction.current_shares);
      expect(feature?.key).not.toBe(prediction?.key);
      expect(distributionBars(drift, 'big', 'feature:constructor').labels).toEqual([]);
      expect(significant3(1234.5)).toBe('1230');
    });

    it('shows a category feature by its own test and threshold, and its shares by category', () => {
      const region = {
        ...entry({ chi_square_p_value: 0.001, jensen_shannon: 0.2 }, true),
        test: 'chisquare',
        threshold: 0.01,
        categories: ['north', 'south', '(other)'],
        reference_shares: [0.5, 0.5, 0],
        current_shares: [0.2, 0.7, 0.1],
      };
      const withCategory = { ...drift, models: { big: { ...drift.models.big, features: { region } } } };

      expect(driftView(withCategory).rows[0]).toMatchObject({ test: 'χ² p-value', text: '0.001', threshold: '≤ 0.01', verdict: 'drifted' });
      expect(distributionBars(withCategory, 'big', 'feature:region')).toEqual({
        labels: ['north', 'south', '(other)'],
        reference: [0.5, 0.5, 0],
        current: [0.2, 0.7, 0.1],
      });
    });
  });
});
