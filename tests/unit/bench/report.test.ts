/** bench/report.ts: bench.json and the table, from phase results. */
import { describe, expect, it } from 'vitest';
import type { ApiResult } from '../../../bench/api.js';
import { DEFAULTS } from '../../../bench/args.js';
import type { BundlesResult } from '../../../bench/bundles.js';
import type { BurstResult } from '../../../bench/burst.js';
import type { CompactionCost } from '../../../bench/compactionCost.js';
import type { DepthResult, EmulatorDepth } from '../../../bench/emulatorDepth.js';
import type { BucketInventory, ChildSample, HistoryMeasurement, HistoryResult } from '../../../bench/history.js';
import type { FeatureCostResult, MetricCostMeasurement, MetricCostResult } from '../../../bench/metricCost.js';
import type { PipelineResult } from '../../../bench/pipeline.js';
import type { PlotCliResult } from '../../../bench/plotCli.js';
import { buildReport, costEstimate, formatTable, type ReportInputs, shortCount, type TableRow, tableRows } from '../../../bench/report.js';
import type { ContentionRun } from '../../../bench/tableContention.js';
import type { SweepRun } from '../../../bench/windowSweep.js';

// ---------------------------------------------------------------- builders

const invocation = (count: number, totalMs: number, batches = 0, messages = 0) => ({
  count,
  totalMs,
  errors: 0,
  timeouts: 0,
  batches,
  messages,
  failedBatches: 0,
});

/** 1,000 records: 900 SQS and 60 S3 requests, 70 invocations. */
function pipelineResult(overrides: Partial<PipelineResult> = {}): PipelineResult {
  const stats = (count: number) => ({ count, requestBytes: 0, responseBytes: 0, statuses: { 200: count } });
  return {
    records: 1_000,
    rowsSeen: 1_000,
    recordsPerS: 32.1,
    wallS: 31.2,
    stackStartS: 20,
    latencyMs: { p50: 7_100, p95: 10_400, p99: 11_100 },
    requests: 960,
    requestsByOperation: {
      'sqs:ReceiveMessage': stats(310),
      'sqs:DeleteMessageBatch': stats(300),
      'sqs:SendMessageBatch': stats(290),
      's3:PutObject': stats(40),
      's3:GetObject': stats(20),
    },
    invocationsByFunction: {
      features: invocation(20, 4_000),
      predictor: invocation(20, 2_000, 20, 1_000),
      metric: invocation(20, 5_000, 20, 2_000),
      maintain: invocation(10, 1_000),
    },
    maxQueueDepth: 245,
    peakRssMb: 473.4,
    emulatorPeakRssMb: 173.2,
    segmentWrites: 20,
    duplicateSegmentIds: 0,
    metricLog: { rows: 1_000, distinctIds: 1_000, missing: 0, doubled: 0, unexpected: 0 },
    problems: [],
    ...overrides,
  };
}

function side(depth: number, ratio: number): EmulatorDepth {
  return {
    depth,
    depth_at_end: depth + 150,
    send: { p50_ms_depth0: 4, p50_ms_deep: 4 * ratio, ratio },
    receive: { p50_ms_depth0: 5, p50_ms_deep: 5, ratio: 1 },
    ratio: Math.max(ratio, 1),
    fill_s: 5,
  };
}

const depthResult = (wrapperRatio = 1.1): DepthResult => ({
  repeats: 15,
  wrapper: side(10_000, wrapperRatio),
  plain: side(1_000, 30),
  plainNote: 'plain moto_server at 1000',
});

const burstResult = (overrides: Partial<BurstResult> = {}): BurstResult => ({
  runs: 10,
  records_per_run: 500,
  records_emitted: 5000,
  records_not_sent: 0,
  records_half_sent: 0,
  invoke_ms: { p50: 3_700, max: 3_800 },
  features_failed: 0,
  drain_s: 20.6,
  records_per_s: 242.7,
  rows_missing: 0,
  rows_duplicated: 0,
  lambda_timeouts: 0,
  lambda_timeouts_by_function: {},
  batches_failed: 0,
  problems: [],
  dead_letters: { 'features-dlq': 0, 'y_true-dlq': 0, 'y_pred-dlq': 0 },
  settings: { RECORDS_PER_RUN: '500' },
  ...overrides,
});

const measurement = (history: number, msPerRecord: number, bytes: number): MetricCostMeasurement => ({
  history,
  rows: history,
  records: 2_000,
  runs: [{ history, tableBytes: 96, msPerRecord, s3RequestsPerInvocation: 2.5, s3BytesPerRecord: bytes, maintainMsPerRecord: 0.05 }],
  medianMsPerRecord: msPerRecord,
  medianS3BytesPerRecord: bytes,
  medianS3RequestsPerInvocation: 3,
  medianMaintainMsPerRecord: 0.05,
});

const metricCostResult: MetricCostResult = {
  measurements: [measurement(1_000, 0.2, 400), measurement(100_000, 0.15, 410)],
  timeRatio: 0.75,
  bytesRatio: 1.025,
};

const featureCostResult = (withMs: number): FeatureCostResult => {
  const without = { ...measurement(10_000, 0.8, 4_000), medianMaintainMsPerRecord: 0.2 };
  const withFeatures = { ...measurement(10_000, withMs, 12_000), medianMaintainMsPerRecord: 0.25 };
  return {
    pairs: 1,
    labelLag: 10,
    history: 10_000,
    runs: [
      [
        { shape: 'without', measurement: without },
        { shape: 'with', measurement: withFeatures },
      ],
    ],
    ratios: {
      metricTime: withMs / 0.8,
      metricS3Bytes: 3,
      maintainTime: 1.25,
      pairMetricTime: [withMs / 0.8],
      pairMaintainTime: [1.25],
    },
  };
};

const compaction = (logRows: number, ms: number, s3Ms: number, bytes: number): CompactionCost => ({
  logRows,
  logBytes: logRows * 69,
  msPerRound: ms,
  bytesPerRound: bytes,
  s3MsPerRound: s3Ms,
  s3MsByOperation: { GetObject: s3Ms / 2, UploadPartCopy: s3Ms / 2 },
  functionMsPerRound: ms - s3Ms,
});

const contention = (writers: number, recordsPerSecond: number, retries: number): ContentionRun => ({
  writers,
  commitsPerSecond: recordsPerSecond / 50,
  recordsPerSecond,
  conflictRetriesPerCommit: retries,
  commitMsP50: 40.04,
  repeatsRecordsPerSecond: [recordsPerSecond - 10, recordsPerSecond, recordsPerSecond + 5],
});

const sweepRun = (window: number, batchSize: number, overrides: Partial<PipelineResult> = {}): SweepRun => ({
  window,
  batchSize,
  usesShippedDefaults: window === 1 && batchSize === 100,
  result: pipelineResult(overrides),
});

const bundlesResult: BundlesResult = {
  functions: { features: { bundleBytes: 577_536, zipBytes: 191_488, initMs: 53.2, initSamplesMs: [53.2] } },
};

const plotResult: PlotCliResult = {
  rows: 1_000_000,
  peak_rss_mb: 90,
  runs: [],
  command: 'node infra/tools/launch.cjs infra/tools/plot/cli.ts',
  process_wall_ms: 400,
  input_bytes: 60_000_000,
  seed: { tool: 'pandas', process_wall_ms: 2_000, peak_rss_mb: 200, runs: [] },
};

const traffic = (requests: number, bytesIn: number, indexHours = 3) => ({
  requests,
  bytesIn,
  bytesOut: 1_000,
  byOperation: { 's3:GetObject': { count: requests, bytesIn, bytesOut: 0 } },
  byArea: { 'state/ids/': { count: indexHours, bytesIn: bytesIn / 2, bytesOut: 0 } },
  indexHours: Array.from({ length: indexHours }, (_, i) => `date=2026-12-03/hour=${String(10 + i)}`),
});

const child = (firstMs: number, peakRssMb: number, bytesIn = 3_000_000): ChildSample => ({
  firstMs,
  loadMs: 300,
  processMs: 2_000,
  peakRssMb,
  baselineRssMb: 60,
  traffic: traffic(80, bytesIn),
});

const inventory = (pieces: number): BucketInventory => ({
  pieces,
  pieceBytes: pieces * 60_000_000,
  newestPiece: 'metric_log/date=2026-12-03/hour=15/part-0001.csv',
  newestPieceBytes: 6_000_000,
  idIndexObjects: pieces * 3,
  idIndexBytes: pieces * 20_000_000,
  metricsBookBytes: 9_000,
  errorHistogramBytes: 17_000,
  objects: pieces * 4 + 6,
});

/** A history of `rows`: maintain cold starts of `coldMs` (median of the three), appends, plot and dashboard. */
const historyAt = (rows: number, coldMs: readonly number[], rssMb: number, appendMs: number): HistoryMeasurement => ({
  rows,
  build: {
    rows,
    orphans: rows / 1_000,
    spanHours: rows / 360_000,
    logBytes: rows * 70,
    orphanLogBytes: rows / 10,
    uploadS: rows / 100_000,
    migrateS: rows / 50_000,
    migratePeakRssMb: 600,
    bucket: inventory(rows / 1_000_000 + 1),
  },
  maintain: coldMs.map((ms) => child(ms, rssMb)),
  appends: [appendMs - 10, appendMs, appendMs + 10].map((ms) => ({ ms, traffic: traffic(70, 800_000) })),
  plot: [child(500, 120), child(520, 121)],
  dashboard: [child(200, 95), child(260, 97)],
  after: inventory(rows / 1_000_000 + 2),
});

const historyResult = (large: HistoryMeasurement): HistoryResult => ({
  rowsPerSecond: 100,
  minuteRows: 6_000,
  segmentRows: 100,
  repeats: 3,
  rounds: 3,
  rowsPerOrphan: 1_000,
  endedAt: Date.parse('2026-12-03T15:00:00Z'),
  loadAverages: [1.234, 2],
  histories: [historyAt(1_000_000, [900, 1_000, 1_100], 200, 1_500), large],
});

/** Every phase skipped, unless given. */
function inputs(phases: Partial<Omit<ReportInputs, 'options' | 'machine' | 'benchWallS'>> = {}): ReportInputs {
  const skipped = { skipped: '--only nothing' };
  return {
    options: DEFAULTS,
    machine: {
      cpus: 2,
      cpu_model: 'test',
      memory_gb: 4,
      node: 'v20',
      platform: 'linux x64',
      moto: '5.2.1',
      date: '2026-11-27T00:00:00.000Z',
      load_average_at_start: [0, 0, 0],
    },
    capacity: skipped,
    pipeline: skipped,
    depth: skipped,
    metricCost: skipped,
    bundles: skipped,
    plot: skipped,
    benchWallS: 352.04,
    ...phases,
  };
}

const row = (rows: readonly TableRow[], start: string) => rows.find((r) => r.metric.startsWith(start));

// ---------------------------------------------------------------- the pipeline

describe('the pipeline figures', () => {
  it('gives requests per record in all and by service, from the proxy counts', () => {
    const report = buildReport(inputs({ pipeline: { ok: pipelineResult() } }));

    expect(report.status).toBe('ok');
    expect(report.records).toBe(1_000);
    expect(report.requests_per_record).toBe(0.96);
    expect(report.requests_per_record_by_service).toEqual({ sqs: 0.9, s3: 0.06 });
    expect(report.requests_by_operation?.['sqs:ReceiveMessage']).toBe(310);
  });

  it('gives invocations per record, and each function’s count, mean time and batch', () => {
    const report = buildReport(inputs({ pipeline: { ok: pipelineResult() } }));

    expect(report.invocations_per_record).toBe(0.07);
    expect(report.invocations_by_function?.metric).toEqual({
      invocations: 20,
      total_duration_ms: 5_000,
      mean_duration_ms: 250,
      messages_per_batch: 100,
      errors: 0,
    });
    expect(report.invocations_by_function?.features?.messages_per_batch).toBeNull();
  });

  it('rounds latency, memory and throughput for people', () => {
    const report = buildReport(inputs({ pipeline: { ok: pipelineResult() } }));

    expect(report.latency_ms).toEqual({ p50: 7_100, p95: 10_400, p99: 11_100 });
    expect(report.peak_rss_mb).toBe(473);
    expect(report.emulator_peak_rss_mb).toBe(173);
    expect(report.records_per_s).toBe(32.1);
    expect(report.max_queue_depth).toBe(245);
  });

  // The api phase (HTTP ingestion) fails the report the same way.
  it.each([
    ['pipeline', (failure: string) => ({ pipeline: { ok: pipelineResult({ failure }) } })],
    ['api', (failure: string) => ({ api: { ok: apiResult({ failure }) } })],
  ] as const)('fails the report when the %s lost rows, saying so', (phase, withFailure) => {
    const failure = 'metric_log.csv holds 999 rows for 1000 records: 1 missing, 0 doubled, 0 not emitted by this run';

    const report = buildReport(inputs(withFailure(failure)));

    expect(report.status).toBe('failed');
    expect(report.failures).toEqual([`${phase}: ${failure}`]);
    expect(report.phases[phase]).toBe(`failed: ${failure}`);
  });

  it('prints the records, latency, requests split by service and each function', () => {
    const rows = tableRows(buildReport(inputs({ pipeline: { ok: pipelineResult() } })));

    expect(row(rows, 'latency')).toMatchObject({ value: '7,100 / 10,400 / 11,100 ms', target: 'p50 ≤ 5,000 ms', ok: false });
    expect(row(rows, 'requests_per_record')).toMatchObject({ value: '0.960 (SQS 0.900, S3 0.060)', target: '≤ 1.0', ok: true });
    expect(row(rows, '  sqs:ReceiveMessage')?.value).toBe('310 (0.310/record)');
    expect(row(rows, '  metric')?.value).toBe('20 × 250.0 ms, 100.0 messages a run');
    expect(row(rows, '  maintain')?.value).toBe('10 × 100.0 ms');
    expect(row(rows, 'peak_rss_mb')?.value).toBe('473 MB');
  });

  it('says why the figures are missing when the phase was skipped', () => {
    const report = buildReport(inputs());

    expect(report.records).toBeNull();
    expect(report.pipeline).toBe('skipped: --only nothing');
    expect(row(tableRows(report), 'records')?.value).toBe('skipped: --only nothing');
  });
});

// ---------------------------------------------------------------- the api phase

/** 1,000 records through the API: 2,400 SQS and 100 S3 requests, 6 HTTP requests (one retried). */
function apiResult(overrides: Partial<ApiResult> = {}): ApiResult {
  const stats = (count: number, statuses: Record<string, number> = { 200: count }) => ({
    count,
    requestBytes: 0,
    responseBytes: 0,
    statuses,
  });
  return {
    records: 1_000,
    rowsSeen: 1_000,
    wallS: 12.5,
    recordsPerS: 80,
    sendS: 1.6,
    sendRecordsPerS: 625,
    stackStartS: 21.04,
    latencyMs: { p50: 6_543.4, p95: 9_876.6, p99: 10_111 },
    requestsByOperation: {
      'sqs:ReceiveMessage': stats(1_000),
      'sqs:DeleteMessageBatch': stats(1_000),
      'sqs:SendMessageBatch': stats(400),
      's3:PutObject': stats(60),
      's3:GetObject': stats(40),
    },
    httpRequestsByRoute: { 'POST /truths': stats(3, { 202: 2, 503: 1 }), 'POST /predictions': stats(2, { 202: 2 }), 'POST /x': stats(1) },
    invocationsByFunction: { metric: invocation(50, 10_000, 50, 2_000), maintain: invocation(1, 500) },
    sent: { truths: { sent: 1_000, refused: 0, failed: 0 }, predictions: { sent: 1_000, refused: 0, failed: 0 } },
    maxQueueDepth: 900,
    segmentWrites: 50,
    duplicateSegmentIds: 0,
    metricLog: { rows: 1_000, distinctIds: 1_000, missing: 0, doubled: 0, unexpected: 0 },
    problems: [],
    ...overrides,
  };
}

describe('the api figures', () => {
  it('gives records per second through the API, send to last row and the sending alone', () => {
    const api = buildReport(inputs({ api: { ok: apiResult() } })).api;

    expect(typeof api).toBe('object');
    if (typeof api !== 'object') return;
    expect(api.status).toBe('ok');
    expect([api.records, api.records_per_second, api.send_records_per_second]).toEqual([1_000, 80, 625]);
    expect([api.wall_s, api.send_s, api.stack_start_s]).toEqual([12.5, 1.6, 21]);
    expect(api.batch_size).toBe(500);
    expect(api.latency_ms).toEqual({ p50: 6_543, p95: 9_877, p99: 10_111 });
  });

  it('counts requests per record: SQS and S3 at the proxy plus the HTTP requests, retries included', () => {
    const api = buildReport(inputs({ api: { ok: apiResult() } })).api;

    if (typeof api !== 'object') throw new Error(`no api figures: ${api}`);
    // (2,400 + 100 + 6) / 1,000
    expect(api.requests_per_record).toBe(2.506);
    expect(api.requests_per_record_by_service).toEqual({ sqs: 2.4, s3: 0.1, http: 0.006 });
    expect(api.http_requests_per_record).toBe(0.006);
    expect(api.http_requests_by_route['POST /truths']).toEqual({ count: 3, statuses: { 202: 2, 503: 1 } });
    expect(api.requests_by_operation['sqs:SendMessageBatch']).toBe(400);
    expect(api.invocations_by_function.metric).toEqual({ invocations: 50, messages_per_batch: 40, errors: 0 });
  });

  it('says every id ended as one row only when metric_log.csv holds each once and nothing failed', () => {
    const rowsOk = (overrides: Partial<ApiResult>) => {
      const api = buildReport(inputs({ api: { ok: apiResult(overrides) } })).api;
      return typeof api === 'object' ? api.rows_ok : undefined;
    };

    expect(rowsOk({})).toBe(true);
    expect(rowsOk({ metricLog: { rows: 1_001, distinctIds: 1_000, missing: 0, doubled: 1, unexpected: 0 } })).toBe(false);
    expect(rowsOk({ metricLog: { rows: 999, distinctIds: 999, missing: 1, doubled: 0, unexpected: 0 } })).toBe(false);
    expect(rowsOk({ metricLog: undefined, failure: 'timed out' })).toBe(false);
  });

  it('prints throughput, latency, requests by service and the row check', () => {
    const rows = tableRows(buildReport(inputs({ api: { ok: apiResult() } })));

    expect(row(rows, 'api records_per_second')?.value).toBe('80.0/s; 625.0/s');
    expect(row(rows, 'api latency')).toEqual({
      metric: 'api latency p50 / p95 / p99 (send → row, all sent at once)',
      value: '6,543 / 9,877 / 10,111 ms',
      target: '',
    });
    expect(row(rows, 'api requests_per_record')?.value).toBe('2.506 (SQS 2.400, S3 0.100, HTTP 0.006)');
    expect(row(rows, 'api rows_ok')).toMatchObject({ value: 'yes: 1,000 rows, 0 missing, 0 doubled', ok: true });
  });

  it('says why there are no figures when the phase was skipped', () => {
    const report = buildReport(inputs({ api: { skipped: '--skip-api' } }));

    expect(report.api).toBe('skipped: --skip-api');
    expect(report.phases.api).toBe('skipped: --skip-api');
    expect(row(tableRows(report), 'api')?.value).toBe('skipped: --skip-api');
  });
});

describe('costEstimate', () => {
  it('prices the counted requests and the invocations’ durations per million records', () => {
    const cost = costEstimate(pipelineResult());

    // 12 s of 256 MB per 1,000 records; 70 invocations; 900 SQS requests; 40 PUT and 20 GET.
    expect([cost.lambda_gb_s_per_record, cost.lambda_compute, cost.lambda_requests]).toEqual([0.003, 0.04, 0.014]);
    expect([cost.sqs, cost.s3, cost.total]).toEqual([0.36, 0.208, 0.622]);
    expect(Object.keys(cost)).toHaveLength(6);
  });
});

// ---------------------------------------------------------------- the other phases

describe('the emulator depth figure', () => {
  it('reports p50s at depth 0 and 10k, their ratios, and plain moto beside them', () => {
    const report = buildReport(inputs({ depth: { ok: depthResult() } }));
    const depth = report.emulator_depth as Exclude<typeof report.emulator_depth, string | undefined>;

    expect(report.emulator_depth_ratio).toBe(1.1);
    expect(depth.send).toEqual({ p50_ms_depth0: 4, p50_ms_depth10k: 4.4, ratio: 1.1 });
    expect(depth.receive).toEqual({ p50_ms_depth0: 5, p50_ms_depth10k: 5, ratio: 1 });
    expect(depth.plain_moto).toMatchObject({ depth: 1_000, send: { p50_ms_at_depth: 120, ratio: 30 }, note: 'plain moto_server at 1000' });
  });

  it('prints a row with the target of 2, marked when missed', () => {
    const ok = tableRows(buildReport(inputs({ depth: { ok: depthResult() } })));
    const missed = tableRows(buildReport(inputs({ depth: { ok: depthResult(2.5) } })));

    expect(row(ok, 'emulator_depth_ratio')).toMatchObject({ target: '≤ 2', ok: true });
    expect(row(missed, 'emulator_depth_ratio')).toMatchObject({ value: '2.50 (send 2.50, receive 1.00)', ok: false });
    expect(row(ok, '  plain moto_server, depth 1,000')?.value).toBe('send 30.0, receive 1.0');
  });

  it('says why the figure is missing when the phase was skipped', () => {
    const report = buildReport(inputs({ depth: { skipped: '--skip-depth' } }));

    expect(report.emulator_depth_ratio).toBeNull();
    expect(report.emulator_depth).toBe('skipped: --skip-depth');
    expect(row(tableRows(report), 'emulator_depth_ratio')?.value).toBe('skipped: --skip-depth');
  });

  it('fails the report when the phase failed', () => {
    const report = buildReport(inputs({ depth: { error: 'moto_server exited early' } }));

    expect(report.status).toBe('failed');
    expect(report.failures).toEqual(['emulator depth: moto_server exited early']);
  });
});

describe('the metric cost, bundles and plot CLI figures', () => {
  it('prints the metric cost ratios against their target', () => {
    const report = buildReport(inputs({ metricCost: { ok: metricCostResult } }));
    const rows = tableRows(report);

    expect(report.metric_cost_ratio_100k_vs_1k).toBe(0.75);
    expect(report.metric_bytes_ratio_100k_vs_1k).toBe(1.025);
    expect(report.metric_cost).toMatchObject({
      measurements: [
        { history_records: 1_000, log_rows: 1_000, table_bytes: 96, ms_per_record: 0.2, s3_bytes_per_record: 400 },
        { history_records: 100_000, log_rows: 100_000, table_bytes: 96, ms_per_record: 0.15, s3_bytes_per_record: 410 },
      ],
    });
    expect(row(rows, 'metric_cost_ratio_100k_vs_1k')).toMatchObject({ value: '0.750', target: '≤ 1.3', ok: true });
    expect(row(rows, 'metric_bytes_ratio_100k_vs_1k')).toMatchObject({ value: '1.025', ok: true });
  });

  it('prints the feature cost ratios against their target, and says MISSED past it', () => {
    const met = buildReport(inputs({ featureCost: { ok: featureCostResult(0.96) } }));
    const missed = buildReport(inputs({ featureCost: { ok: featureCostResult(1.2) } }));

    expect(met.metric_cost_ratio_with_features).toBe(1.2);
    expect(met.maintain_cost_ratio_with_features).toBe(1.25);
    expect(met.feature_cost).toMatchObject({
      order: ['without,with'],
      label_lag_records: 1_000,
      without_features: { metric_ms_per_record: 0.8, maintain_ms_per_record: 0.2, metric_s3_bytes_per_record: 4_000 },
      with_features: { metric_ms_per_record: 0.96, maintain_ms_per_record: 0.25, metric_s3_bytes_per_record: 12_000 },
    });
    expect(row(tableRows(met), 'metric_cost_ratio_with_features')).toMatchObject({
      value: '1.200 (pairs 1.20–1.20)',
      target: '≤ 1.3',
      ok: true,
    });
    expect(row(tableRows(met), 'maintain_cost_ratio_with_features')).toMatchObject({ value: '1.250 (pairs 1.25–1.25)', ok: true });
    expect(missed.metric_cost_ratio_with_features).toBe(1.5);
    expect(row(tableRows(missed), 'metric_cost_ratio_with_features')?.ok).toBe(false);
  });

  it('says why the feature cost is missing when the phase did not run', () => {
    const report = buildReport(inputs({}));

    expect(report.metric_cost_ratio_with_features).toBeNull();
    expect(report.feature_cost).toBe('skipped: not run');
    expect(row(tableRows(report), 'metric_cost_ratio_with_features')).toMatchObject({ value: 'skipped: not run', target: '≤ 1.3' });
  });

  it('prints each bundle with its zip size and init time', () => {
    const report = buildReport(inputs({ bundles: { ok: bundlesResult } }));

    expect(report.bundle_bytes).toEqual({ features: 577_536 });
    expect(report.zip_bytes).toEqual({ features: 191_488 });
    expect(report.init_ms).toEqual({ features: 53.2 });
    expect(row(tableRows(report), 'bundle features')).toMatchObject({
      metric: 'bundle features (init 53.2 ms)',
      value: '564 KiB (zip 187 KiB)',
      ok: true,
    });
  });

  it('reports the plot CLI against pandas side by side: the speed-up and the memory ratio, whole processes', () => {
    const report = buildReport(inputs({ plot: { ok: plotResult } }));
    const rows = tableRows(report);

    expect(report.plot_speedup_vs_seed).toBe(5);
    expect(report.plot_memory_ratio_vs_seed).toBe(0.45);
    expect(row(rows, 'plot CLI, 1,000,000 rows: speed-up')).toMatchObject({
      metric: 'plot CLI, 1,000,000 rows: speed-up vs pandas (400 ms vs 2,000 ms)',
      value: '5.00×',
      target: '≥ 4×',
      ok: true,
    });
    expect(row(rows, 'plot CLI, 1,000,000 rows: peak RSS')).toMatchObject({ value: '0.450', target: '≤ 0.5', ok: true });
  });

  it('says why the seed side is missing, and gives no ratios', () => {
    const seed = { skipped: "python3 cannot run the seed's pandas + matplotlib (No module named 'pandas'); its side is skipped" };
    const report = buildReport(inputs({ plot: { ok: { ...plotResult, seed } } }));

    expect(report.plot_speedup_vs_seed).toBeNull();
    expect(report.plot_memory_ratio_vs_seed).toBeNull();
    expect(row(tableRows(report), 'plot CLI vs pandas')).toMatchObject({ value: seed.skipped });
  });
});

describe('the burst', () => {
  it('reports drain time, throughput, time-outs and dead letters, each row against its target', () => {
    const report = buildReport(inputs({ burst: { ok: burstResult() } }));
    const rows = tableRows(report);

    expect(report.status).toBe('ok');
    expect(report.burst).toMatchObject({ drain_s: 20.6, dead_letters: { 'y_true-dlq': 0 } });
    expect(row(rows, 'burst:')).toMatchObject({ value: 'answered in 3,800 ms at most (p50 3,700); 0 failed', ok: true });
    expect(row(rows, '  drained')).toMatchObject({ value: '20.6 s, 242.7 records/s', target: '≤ 420 s', ok: true });
    expect(row(rows, '  Lambda time-outs')).toMatchObject({ value: '0 / 0', ok: true });
  });

  it('marks a burst that did not drain or timed out', () => {
    const burst = burstResult({ lambda_timeouts: 2, drain_s: null, records_per_s: null, rows_missing: 7 });

    const rows = tableRows(buildReport(inputs({ burst: { ok: burst } })));

    expect(row(rows, '  drained')).toMatchObject({ value: 'not drained: 7 missing', ok: false });
    expect(row(rows, '  Lambda time-outs')).toMatchObject({ value: '2 / 0', ok: false });
  });

  it('says the burst was not asked for when it was not', () => {
    const report = buildReport(inputs());

    expect(report.burst).toBe('skipped: no --burst');
    expect(tableRows(report).some((r) => r.metric.startsWith('burst'))).toBe(false);
  });
});

describe('formatTable', () => {
  it('lines up the table and marks missed targets', () => {
    const lines = formatTable([
      { metric: 'requests_per_record', value: '1.2', target: '≤ 1.0', ok: false },
      { metric: 'records', value: '10,000', target: '' },
    ]).split('\n');

    expect(lines[0]).toMatch(/^metric\s+value\s+target$/);
    expect(lines[2]).toMatch(/^requests_per_record\s+1\.2\s+≤ 1\.0\s+MISSED$/);
    expect(lines[3]).toMatch(/^records\s+10,000$/);
  });
});

describe('the rest of bench.json', () => {
  it('records the settings, the machine and the time in all', () => {
    const report = buildReport(inputs());

    expect(report.settings).toMatchObject({
      records: 10_000,
      recordsPerRun: 50,
      batchSize: 100,
      window: 1,
      functionTimeout: 30,
      logLevel: 'WARN',
    });
    expect(report.settings.shipped).toEqual({ batchSize: 100, window: 1, pollers: 2, waitTimeSeconds: 20 });
    expect(report.machine.cpus).toBe(2);
    expect(report.machine.load_average_at_end).toHaveLength(3);
    expect(report.bench_wall_s).toBe(352);
  });
});

// ---------------------------------------------------------------- issue 9's keys

describe('uses_shipped_defaults', () => {
  it('is true on the defaults and false once the batch size or the window differs', () => {
    expect(buildReport(inputs()).uses_shipped_defaults).toBe(true);
    expect(buildReport({ ...inputs(), options: { ...DEFAULTS, batchSize: 1_000 } }).uses_shipped_defaults).toBe(false);
    expect(buildReport({ ...inputs(), options: { ...DEFAULTS, window: 2 } }).uses_shipped_defaults).toBe(false);
    // The load is the bench's own: other records per run keep the defaults shipped.
    expect(buildReport({ ...inputs(), options: { ...DEFAULTS, recordsPerRun: 10 } }).uses_shipped_defaults).toBe(true);
  });

  it('heads the pipeline rows, marked missed off the shipped settings', () => {
    const ok = tableRows(buildReport(inputs({ pipeline: { ok: pipelineResult() } })));
    const off = tableRows(buildReport({ ...inputs(), options: { ...DEFAULTS, batchSize: 1_000, window: 2 } }));

    expect(row(ok, 'uses_shipped_defaults')).toMatchObject({
      value: 'true (batch 100, window 1 s, 2 pollers)',
      target: 'batch 100, window 1 s',
      ok: true,
    });
    expect(row(off, 'uses_shipped_defaults')).toMatchObject({ value: 'false (batch 1000, window 2 s, 2 pollers)', ok: false });
  });
});

describe('the window sweep', () => {
  const sweep = [
    sweepRun(0, 10),
    sweepRun(1, 100, { latencyMs: { p50: 2_400, p95: 3_900, p99: 4_500 }, requests: 900 }),
    sweepRun(5, 100, { failure: 'timed out' }),
  ];

  it('gives each window its batch size, requests per record, latency and throughput', () => {
    const report = buildReport(inputs({ windowSweep: { ok: sweep } }));

    expect(report.window_sweep).toEqual([
      expect.objectContaining({ window_s: 0, batch_size: 10, uses_shipped_defaults: false, status: 'ok', requests_per_record: 0.96 }),
      expect.objectContaining({
        window_s: 1,
        batch_size: 100,
        uses_shipped_defaults: true,
        records: 1_000,
        requests_per_record: 0.96,
        latency_ms: { p50: 2_400, p95: 3_900, p99: 4_500 },
        records_per_s: 32.1,
        metric_messages_per_batch: 100,
        predictor_messages_per_batch: 50,
      }),
      expect.objectContaining({ window_s: 5, status: 'failed: timed out' }),
    ]);
    expect(report.status).toBe('failed');
    expect(report.failures).toEqual(['window sweep, window 5 s: timed out']);
  });

  it('prints a row per window against both targets', () => {
    const rows = tableRows(buildReport(inputs({ windowSweep: { ok: sweep } })));

    expect(row(rows, 'window 1 s, batch 100 (shipped)')).toMatchObject({
      value: '0.960, 2,400 / 3,900 ms, 32.1/s',
      target: '≤ 1.0, p50 ≤ 5,000 ms',
      ok: true,
    });
    expect(row(rows, 'window 0 s, batch 10:')).toMatchObject({ ok: false });
  });

  it('says it was not asked for', () => {
    expect(buildReport(inputs()).window_sweep).toBe('skipped: no --window-sweep');
  });
});

describe('the compaction cost', () => {
  const costs = [compaction(10_000, 20, 8, 42_000), compaction(1_000_000, 500, 470, 4_000)];

  it('gives the 1M over 10k ratios of time and bytes, and the time split between S3 and the function', () => {
    const report = buildReport(inputs({ compactionCost: { ok: costs } }));

    expect(report.compaction_cost_ratio_1m_vs_10k).toBe(25);
    expect(report.compaction_bytes_ratio_1m_vs_10k).toBe(0.095);
    expect(report.compaction_cost).toMatchObject({
      s3_time_ratio: 58.75,
      logs: [
        {
          log_rows: 10_000,
          log_bytes: 690_000,
          ms_per_round: 20,
          s3_ms_per_round: 8,
          function_ms_per_round: 12,
          s3_share_of_time: 0.4,
          bytes_per_round: 42_000,
        },
        { log_rows: 1_000_000, ms_per_round: 500, s3_share_of_time: 0.94, s3_ms_by_operation: { GetObject: 235, UploadPartCopy: 235 } },
      ],
    });
  });

  it('prints the time ratio as missed and the bytes ratio as met', () => {
    const rows = tableRows(buildReport(inputs({ compactionCost: { ok: costs } })));

    expect(row(rows, 'compaction_cost_ratio_1m_vs_10k')).toMatchObject({ value: '25.000', target: '≤ 1.3', ok: false });
    expect(row(rows, 'compaction_bytes_ratio_1m_vs_10k')).toMatchObject({ value: '0.095', ok: true });
    expect(row(rows, '  a round at 10k / 1M rows')?.value).toBe('20 ms (S3 8) / 500 ms (S3 470)');
  });

  it('leaves the ratios null with the reason when not run, and a failed neighbour fails the report', () => {
    const report = buildReport(inputs({ compactionCost: { skipped: '--skip-compaction-cost' }, contention: { error: 'moto exited' } }));

    expect([report.compaction_cost_ratio_1m_vs_10k, report.compaction_bytes_ratio_1m_vs_10k]).toEqual([null, null]);
    expect(report.compaction_cost).toBe('skipped: --skip-compaction-cost');
    expect(report.table_contention).toBe('error: moto exited');
    expect(report.failures).toEqual(['table contention: moto exited']);
  });
});

describe('the table contention', () => {
  it('gives each writer count its medians, rounded, with the repeats beside them', () => {
    const runs = [contention(1, 2_000, 0), contention(8, 2_600.4, 1.2222)];

    const report = buildReport(inputs({ contention: { ok: runs } }));

    expect(report.table_contention).toEqual({
      batch_size: 100,
      records_per_message: 100,
      halves_per_commit: 10_000,
      seconds_per_run: 5,
      repeats: 3,
      writers: [
        {
          writers: 1,
          commits_per_s: 40,
          records_per_s: 2_000,
          conflict_retries_per_commit: 0,
          commit_ms_p50: 40,
          repeats_records_per_s: [1_990, 2_000, 2_005],
        },
        {
          writers: 8,
          commits_per_s: 52,
          records_per_s: 2_600,
          conflict_retries_per_commit: 1.222,
          commit_ms_p50: 40,
          repeats_records_per_s: [2_590, 2_600, 2_605],
        },
      ],
    });
    expect(row(tableRows(report), 'table contention, 8 writers')?.value).toBe('2,600 rec/s, 52.0 commits/s, 1.22 retries, p50 40 ms');
  });
});

describe('the history', () => {
  const flat = historyResult(historyAt(10_000_000, [1_050, 950, 1_200], 210, 1_600));

  it('gives each figure at each size: medians of the cold starts, the appends, plot and the dashboard', () => {
    const report = buildReport(inputs({ history: { ok: flat } }));
    const history = report.history as Exclude<typeof report.history, string | undefined>;

    expect(history).toMatchObject({
      largest_vs_smallest_rows: [10_000_000, 1_000_000],
      rows_per_second: 100,
      minute_rows: 6_000,
      repeats: 3,
      warm_rounds_per_repeat: 3,
      histories_end_at: '2026-12-03T15:00:00.000Z',
      load_average_1m_at_each_repeat: [1.23, 2],
      rows_per_orphan: 1_000,
    });
    expect(history.histories[0]).toMatchObject({
      rows: 1_000_000,
      orphans: 1_000,
      span_hours: 2.8,
      build: { log_bytes: 70_000_000, generate_and_upload_s: 10, migrate_s: 20, migrate_peak_rss_mb: 600 },
      bucket_after_build: { pieces: 2, newest_piece_bytes: 6_000_000, id_index_objects: 6 },
      maintain_cold_start: {
        ms: 1_000,
        samples_ms: [900, 1_000, 1_100],
        module_load_ms: 300,
        peak_rss_mb: 200,
        baseline_rss_mb: 60,
        s3: {
          requests: 80,
          bytes_in: 3_000_000,
          requests_by_operation: { 's3:GetObject': 80 },
          by_area: { 'state/ids/': { requests: 3, bytes_in: 1_500_000 } },
          id_index_hours_read: 3,
        },
      },
      append: { ms: 1_500, samples_ms: [1_490, 1_500, 1_510], s3: { requests: 70, bytes_in: 800_000 } },
      plot_cold_start: { ms: 510, peak_rss_mb: 121 },
      dashboard_first_load: { ms: 230 },
    });
  });

  it('gives the ratios of the largest history to the smallest under the keys the issue names', () => {
    const report = buildReport(inputs({ history: { ok: flat } }));

    expect(report).toMatchObject({
      history_cold_start_ratio_10m_vs_1m: 1.05,
      history_rss_ratio_10m_vs_1m: 1.05,
      history_append_ratio_10m_vs_1m: 1.067,
      history_plot_ratio_10m_vs_1m: 1,
      history_dashboard_ratio_10m_vs_1m: 1,
    });
  });

  it('prints each ratio with both figures against the 1.3 target, and the build and the cold start reads', () => {
    const grown = historyResult(historyAt(10_000_000, [1_400, 1_500, 1_600], 400, 1_600));

    const rows = tableRows(buildReport(inputs({ history: { ok: grown } })));

    expect(row(rows, 'history_cold_start_ratio_10m_vs_1m')).toMatchObject({
      metric: "history_cold_start_ratio_10m_vs_1m (maintain's 1st run, 1M / 10M)",
      value: '1.50 (1,000 / 1,500 ms)',
      target: '≤ 1.3',
      ok: false,
    });
    expect(row(rows, 'history_rss_ratio_10m_vs_1m')).toMatchObject({ value: '2.00 (200 / 400 MB)', ok: false });
    expect(row(rows, 'history_append_ratio_10m_vs_1m')).toMatchObject({ value: '1.07 (1,500 / 1,600 ms)', ok: true });
    expect(row(rows, 'history_plot_ratio_10m_vs_1m')).toMatchObject({ value: '1.00 (510 / 510 ms)', ok: true });
    expect(row(rows, 'history_dashboard_ratio_10m_vs_1m')?.ok).toBe(true);
    expect(row(rows, "  cold start's S3 reads")?.value).toBe('3.0 MB (3 h) / 3.0 MB (3 h)');
    expect(row(rows, '  history build')?.value).toBe('10 + 20 s / 100 + 200 s');
  });

  it('leaves the ratios null with the reason when not run, and fails the report when the phase failed', () => {
    const skipped = buildReport(inputs({ history: { skipped: '--skip-history' } }));
    const failed = buildReport(inputs({ history: { error: 'moto exited' } }));

    expect(skipped.history_cold_start_ratio_10m_vs_1m).toBeNull();
    expect(skipped.history).toBe('skipped: --skip-history');
    expect(row(tableRows(skipped), 'history_cold_start_ratio_10m_vs_1m')?.value).toBe('skipped: --skip-history');
    expect(buildReport(inputs()).history).toBe('skipped: not run');
    expect(failed.status).toBe('failed');
    expect(failed.failures).toEqual(['history: moto exited']);
  });

  it('names the sizes shortly', () => {
    expect([1_000, 10_000, 1_000_000, 10_000_000, 1_000_000_000, 1_500].map(shortCount)).toEqual(['1k', '10k', '1M', '10M', '1G', '1,500']);
  });
});
