/** What maintain puts in CloudWatch on AWS (embedded metric format), and nothing under serverless-offline. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cloudWatchPublisher, cloudWatchValues, METRICS_NAMESPACE } from '../../../../../functions/commons/alerts/cloudWatchMetrics.js';
import type { MetricsDocument } from '../../../../../functions/commons/metrics/metricsBook.js';

const NOW = Date.parse('2026-11-27T12:00:30.000Z');
const SETTINGS = {
  windowMinutes: 1,
  maeAbove: undefined,
  maeRatio: 1.5,
  coverageBelow: 0.8,
  minRows: 10,
  forMinutes: 3,
  drift: false,
  estimatedMaeRatio: undefined,
};
const summary = (n: number, mae: number | null, rmse: number | null) => ({ n, mae, rmse }) as MetricsDocument['totals'];
const METRICS = {
  updated_at: new Date(NOW).toISOString(),
  totals: summary(100, 3, 4),
  minutes: [
    { start: '2026-11-27T11:57:00.000Z', ...summary(80, 2, 3) },
    { start: '2026-11-27T11:58:00.000Z', ...summary(20, 7, 8) },
    // Not complete at 12:00:30: left out of the window, as the alert rules leave it.
    { start: '2026-11-27T11:59:00.000Z', ...summary(5, 99, 99) },
  ],
  hours: [],
  models: {},
  models_minutes: {},
  models_hours: {},
  segments: {},
  worst_segment: null,
  label_coverage: 0.95,
  orphans: 1,
  pending: 4,
  dead_letters: null,
} as MetricsDocument;

afterEach(() => {
  vi.restoreAllMocks();
});

describe('cloudWatchValues', () => {
  it('gives the judged window (the last complete minutes) and all-rows figures, leaving out those not known', () => {
    expect(cloudWatchValues({ metrics: METRICS, settings: SETTINGS, firing: 1, now: NOW })).toEqual({
      WindowMAE: 7,
      WindowRMSE: 8,
      WindowRows: 20,
      MAE: 3,
      RMSE: 4,
      LabelCoverage: 0.95,
      Rows: 100,
      Pending: 4,
      AlertsFiring: 1,
    });
  });
});

describe('cloudWatchPublisher', () => {
  it('writes nothing under serverless-offline or against an emulator', () => {
    expect(cloudWatchPublisher({ IS_OFFLINE: 'true' })).toBeUndefined();
    expect(cloudWatchPublisher({ AWS_ENDPOINT_URL: 'http://localhost:4566' })).toBeUndefined();
  });

  it('writes one embedded-metric-format line per run on AWS', () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => lines.push(line));
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });

    cloudWatchPublisher({})?.({ metrics: METRICS, settings: SETTINGS, firing: 0, now: NOW });
    stdout.mockRestore();

    const emf = lines.map((line) => JSON.parse(line)).find((entry) => entry._aws !== undefined);
    expect(emf._aws.CloudWatchMetrics[0].Namespace).toBe(METRICS_NAMESPACE);
    expect(emf._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service']]);
    expect(emf).toMatchObject({ service: 'ml-monitor', WindowMAE: 7, AlertsFiring: 0, Rows: 100 });
  });
});
