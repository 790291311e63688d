/**
 * The bench's results: one JSON document (logs/bench.json) and a table for people,
 * with the targets the project holds itself to. Pure: phase results in, report out.
 */
import { loadavg } from 'node:os';
import { MAX_RECORDS_PER_MESSAGE } from '../functions/commons/messaging/messageSchemas.js';
import { DEFAULT_SEND_OPTIONS } from '../infra/tools/ingest/sender.js';
import type { ApiResult } from './api.js';
import { type BenchOptions, SHIPPED, usesShippedDefaults } from './args.js';
import type { BundlesResult } from './bundles.js';
import type { BurstResult } from './burst.js';
import type { CompactionCost } from './compactionCost.js';
import type { CapacityResult } from './emulatorCapacity.js';
import type { DepthResult, EmulatorDepth, OperationDepth } from './emulatorDepth.js';
import type { BucketInventory, ChildSample, HistoryMeasurement, HistoryResult } from './history.js';
import type { Traffic } from './httpTraffic.js';
import type { FeatureCostResult, MetricCostResult } from './metricCost.js';
import type { PipelineResult } from './pipeline.js';
import { type PlotCliResult, plotRatios } from './plotCli.js';
import type { OperationStats } from './recordingProxy.js';
import { median, round } from './stats.js';
import type { ContentionRun } from './tableContention.js';
import type { SweepRun } from './windowSweep.js';

/** A phase's outcome: its result, or why there is none. */
export type Phase<T> = { readonly ok: T } | { readonly skipped: string } | { readonly error: string };

export interface MachineInfo {
  readonly cpus: number;
  readonly cpu_model: string;
  readonly memory_gb: number;
  readonly node: string;
  readonly platform: string;
  readonly moto: string;
  readonly date: string;
  /** os.loadavg() when the bench started: anything else busy on the machine skews every figure. */
  readonly load_average_at_start: readonly number[];
}

export interface ReportInputs {
  readonly options: BenchOptions;
  readonly machine: MachineInfo;
  readonly burst?: Phase<BurstResult>;
  readonly capacity: Phase<CapacityResult>;
  readonly pipeline: Phase<PipelineResult>;
  readonly api?: Phase<ApiResult>;
  readonly windowSweep?: Phase<readonly SweepRun[]>;
  readonly depth: Phase<DepthResult>;
  readonly metricCost: Phase<MetricCostResult>;
  readonly featureCost?: Phase<FeatureCostResult>;
  readonly compactionCost?: Phase<readonly CompactionCost[]>;
  readonly contention?: Phase<readonly ContentionRun[]>;
  readonly bundles: Phase<BundlesResult>;
  readonly plot: Phase<PlotCliResult>;
  readonly history?: Phase<HistoryResult>;
  readonly benchWallS: number;
}

/** The compaction cost phase's log sizes: the ratio is the last's over the first's. */
export const COMPACTION_LOG_ROWS = [10_000, 1_000_000] as const;
/** Concurrent writers of the join table, contention phase. */
export const CONTENTION_WRITERS = [1, 2, 4, 8] as const;

export const TARGETS = {
  requestsPerRecord: 1.0,
  /** Emission to row, median. */
  latencyP50Ms: 5_000,
  metricCostRatio: 1.3,
  /** metric's and maintain's time per record with ten features per prediction over none (issue 19). */
  featureCostRatio: 1.3,
  /** Appending to a 1M-row log over a 10k-row one, time and bytes. */
  compactionCostRatio: 1.3,
  /** SQS p50 per request at depth 10,000 over depth 0, the worse of send and receive. */
  emulatorDepthRatio: 2,
  bundleBytes: 1024 * 1024,
  /** The storm drains within this many seconds. */
  burstDrainS: 420,
  /** Each history figure (cold start, its peak RSS, a minute's append, plot, dashboard) at 10M rows over 1M. */
  historyRatio: 1.3,
  /** `npm run plot` against the seed's pandas + matplotlib, whole processes: at least this much faster… */
  plotSpeedupVsSeed: 4,
  /** …in at most this share of its peak memory. */
  plotMemoryRatioVsSeed: 0.5,
} as const;

/**
 * AWS list prices (us-east-1, 2025) to put the counts in scale; local durations on
 * an emulator are not AWS's, so this is an order of magnitude, not a bill.
 */
export const PRICES_USD = {
  lambda_gb_s_arm64: 0.0000133334,
  lambda_request: 0.2 / 1e6,
  sqs_request: 0.4 / 1e6,
  s3_put_list: 0.005 / 1000,
  s3_get_head: 0.0004 / 1000,
} as const;
const MEMORY_GB = 256 / 1024;

function value<T>(phase: Phase<T>): T | undefined {
  return 'ok' in phase ? phase.ok : undefined;
}

function whyMissing<T>(phase: Phase<T>): string | undefined {
  if ('skipped' in phase) return `skipped: ${phase.skipped}`;
  if ('error' in phase) return `error: ${phase.error}`;
  return undefined;
}

function mapValues<T, U>(record: Readonly<Record<string, T>>, map: (value: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([key, v]) => [key, map(v)]));
}

/** One emulator's side of the depth phase; `deepKey` names the p50 at depth (the wrapper's says 10k, its default depth). */
function depthSide(side: EmulatorDepth, deepKey: string) {
  const operation = (o: OperationDepth) => ({ p50_ms_depth0: o.p50_ms_depth0, [deepKey]: o.p50_ms_deep, ratio: o.ratio });
  return {
    depth: side.depth,
    depth_at_end: side.depth_at_end,
    send: operation(side.send),
    receive: operation(side.receive),
    ratio: side.ratio,
    fill_s: side.fill_s,
  };
}

/** The emulator depth phase as bench.json holds it: the wrapper, and plain moto (measured shallower) beside it. */
export function depthReport(depth: DepthResult) {
  const wrapper = depthSide(depth.wrapper, 'p50_ms_depth10k') as ReturnType<typeof depthSide> & {
    send: { p50_ms_depth10k: number };
    receive: { p50_ms_depth10k: number };
  };
  const plain = depth.plain === undefined ? depth.plainNote : { ...depthSide(depth.plain, 'p50_ms_at_depth'), note: depth.plainNote };
  return { ...wrapper, repeats: depth.repeats, plain_moto: plain };
}

function totalInvocations(pipeline: PipelineResult): number {
  return Object.values(pipeline.invocationsByFunction).reduce((sum, stats) => sum + stats.count, 0);
}

/** Requests per record, all and by service. */
function requestsPerRecord(pipeline: PipelineResult, prefix = ''): number {
  let count = 0;
  for (const [operation, stats] of Object.entries(pipeline.requestsByOperation)) if (operation.startsWith(prefix)) count += stats.count;
  return round(count / pipeline.records, 3);
}

/** Dollars per million records from the request counts and the invocations' local durations. */
export function costEstimate(pipeline: PipelineResult): Record<string, number> {
  const perRecord = (count: number) => (pipeline.records > 0 ? count / pipeline.records : 0);
  let [sqs, s3PutList, s3GetHead] = [0, 0, 0];
  for (const [operation, stats] of Object.entries(pipeline.requestsByOperation)) {
    if (operation.startsWith('sqs:')) sqs += stats.count;
    else if (/^s3:(Put|List|Create|Delete)/.test(operation)) s3PutList += stats.count;
    else if (/^s3:(Get|Head)/.test(operation)) s3GetHead += stats.count;
  }
  const seconds = Object.values(pipeline.invocationsByFunction).reduce((sum, stats) => sum + stats.totalMs, 0) / 1000;
  const million = 1e6;
  const lambdaCompute = perRecord(seconds) * MEMORY_GB * PRICES_USD.lambda_gb_s_arm64 * million;
  const lambdaRequests = perRecord(totalInvocations(pipeline)) * PRICES_USD.lambda_request * million;
  const sqsCost = perRecord(sqs) * PRICES_USD.sqs_request * million;
  const s3Cost = (perRecord(s3PutList) * PRICES_USD.s3_put_list + perRecord(s3GetHead) * PRICES_USD.s3_get_head) * million;
  return {
    lambda_gb_s_per_record: round(perRecord(seconds) * MEMORY_GB, 6),
    lambda_compute: round(lambdaCompute, 4),
    lambda_requests: round(lambdaRequests, 4),
    sqs: round(sqsCost, 4),
    s3: round(s3Cost, 4),
    total: round(lambdaCompute + lambdaRequests + sqsCost + s3Cost, 4),
  };
}

function pipelineFigures(pipeline: PipelineResult) {
  const invocations = totalInvocations(pipeline);
  return {
    records: pipeline.records,
    records_per_s: round(pipeline.recordsPerS, 1),
    latency_ms: mapValues({ ...pipeline.latencyMs }, (v) => round(v, 0)),
    requests_per_record: requestsPerRecord(pipeline),
    requests_per_record_by_service: { sqs: requestsPerRecord(pipeline, 'sqs:'), s3: requestsPerRecord(pipeline, 's3:') },
    requests_by_operation: mapValues(pipeline.requestsByOperation, (stats) => stats.count),
    invocations_per_record: round(invocations / pipeline.records, 4),
    invocations_by_function: mapValues(pipeline.invocationsByFunction, (f) => ({
      invocations: f.count,
      total_duration_ms: round(f.totalMs, 0),
      mean_duration_ms: round(f.totalMs / f.count, 1),
      messages_per_batch: f.batches > 0 ? round(f.messages / f.batches, 1) : null,
      errors: f.errors,
    })),
    peak_rss_mb: pipeline.peakRssMb === undefined ? null : round(pipeline.peakRssMb, 0),
    emulator_peak_rss_mb: pipeline.emulatorPeakRssMb === undefined ? null : round(pipeline.emulatorPeakRssMb, 0),
    max_queue_depth: pipeline.maxQueueDepth,
    cost_estimate_usd_per_million_records: { ...costEstimate(pipeline), prices_usd: PRICES_USD },
    pipeline: {
      wall_s: round(pipeline.wallS, 1),
      stack_start_s: round(pipeline.stackStartS, 1),
      rows_seen: pipeline.rowsSeen,
      requests: pipeline.requests,
      invocations,
      segment_writes: pipeline.segmentWrites,
      duplicate_segment_ids: pipeline.duplicateSegmentIds,
      metric_log: pipeline.metricLog ?? null,
      problems: pipeline.problems,
    },
  };
}

function requestCount(stats: Readonly<Record<string, OperationStats>>, prefix = ''): number {
  let count = 0;
  for (const [operation, { count: n }] of Object.entries(stats)) if (operation.startsWith(prefix)) count += n;
  return count;
}

/**
 * The api phase as bench.json holds it: records per second through the API (send to
 * the last row, and the sending alone), requests per record (SQS and S3 counted at
 * the proxy in front of moto, plus the API's own HTTP requests), latency from send to
 * row, and whether every id ended as exactly one row.
 */
export function apiFigures(api: ApiResult) {
  const perRecord = (count: number) => (api.records > 0 ? round(count / api.records, 3) : null);
  const sqs = requestCount(api.requestsByOperation, 'sqs:');
  const s3 = requestCount(api.requestsByOperation, 's3:');
  const http = requestCount(api.httpRequestsByRoute);
  const log = api.metricLog;
  const rowsOk =
    api.failure === undefined &&
    log !== undefined &&
    log.rows === api.records &&
    log.distinctIds === api.records &&
    log.missing === 0 &&
    log.doubled === 0 &&
    log.unexpected === 0;
  return {
    status: api.failure === undefined ? 'ok' : `failed: ${api.failure}`,
    records: api.records,
    batch_size: DEFAULT_SEND_OPTIONS.batchSize,
    requests_in_flight_per_stream: DEFAULT_SEND_OPTIONS.concurrency,
    records_per_second: round(api.recordsPerS, 1),
    send_records_per_second: round(api.sendRecordsPerS, 1),
    wall_s: round(api.wallS, 1),
    send_s: round(api.sendS, 2),
    stack_start_s: round(api.stackStartS, 1),
    latency_ms: mapValues({ ...api.latencyMs }, (v) => round(v, 0)),
    requests_per_record: perRecord(sqs + s3 + http),
    requests_per_record_by_service: { sqs: perRecord(sqs), s3: perRecord(s3), http: perRecord(http) },
    http_requests_per_record: perRecord(http),
    requests_by_operation: mapValues(api.requestsByOperation, (stats) => stats.count),
    http_requests_by_route: mapValues(api.httpRequestsByRoute, (stats) => ({ count: stats.count, statuses: stats.statuses })),
    invocations_by_function: mapValues(api.invocationsByFunction, (f) => ({
      invocations: f.count,
      messages_per_batch: f.batches > 0 ? round(f.messages / f.batches, 1) : null,
      errors: f.errors,
    })),
    sent: api.sent,
    rows_seen: api.rowsSeen,
    rows_ok: rowsOk,
    metric_log: log ?? null,
    max_queue_depth: api.maxQueueDepth,
    segment_writes: api.segmentWrites,
    duplicate_segment_ids: api.duplicateSegmentIds,
    problems: api.problems,
  };
}

function metricCostFigures(metricCost: MetricCostResult) {
  return {
    time_ratio: round(metricCost.timeRatio, 3),
    bytes_ratio: round(metricCost.bytesRatio, 3),
    measurements: metricCost.measurements.map((m) => ({
      history_records: m.history,
      log_rows: m.rows,
      table_bytes: m.runs.length > 0 ? median(m.runs.map((run) => run.tableBytes)) : null,
      records: m.records,
      ms_per_record: round(m.medianMsPerRecord, 4),
      s3_bytes_per_record: round(m.medianS3BytesPerRecord, 0),
      s3_requests_per_invocation: round(m.medianS3RequestsPerInvocation, 2),
    })),
  };
}

/** The feature cost phase as bench.json holds it: the ratios, each pair's, and each child's figures per record. */
export function featureCostFigures(cost: FeatureCostResult) {
  const { ratios } = cost;
  const perShape = (shape: 'without' | 'with') => {
    const measurements = cost.runs.flatMap((pair) => pair.filter((run) => run.shape === shape).map((run) => run.measurement));
    return {
      metric_ms_per_record: round(median(measurements.map((m) => m.medianMsPerRecord)), 4),
      metric_s3_bytes_per_record: round(median(measurements.map((m) => m.medianS3BytesPerRecord)), 0),
      maintain_ms_per_record: round(median(measurements.map((m) => m.medianMaintainMsPerRecord)), 4),
      children_metric_ms_per_record: measurements.map((m) => round(m.medianMsPerRecord, 4)),
      children_maintain_ms_per_record: measurements.map((m) => round(m.medianMaintainMsPerRecord, 4)),
    };
  };
  return {
    metric_time_ratio: round(ratios.metricTime, 3),
    metric_s3_bytes_ratio: round(ratios.metricS3Bytes, 3),
    maintain_time_ratio: round(ratios.maintainTime, 3),
    pair_metric_time_ratios: ratios.pairMetricTime.map((ratio) => round(ratio, 3)),
    pair_maintain_time_ratios: ratios.pairMaintainTime.map((ratio) => round(ratio, 3)),
    pairs: cost.pairs,
    order: cost.runs.map((pair) => pair.map((run) => run.shape).join(',')),
    label_lag_records: cost.labelLag * 100,
    history_records: cost.history,
    records: cost.runs[0]?.[0]?.measurement.records ?? null,
    without_features: perShape('without'),
    with_features: perShape('with'),
  };
}

/** One window of the sweep, as bench.json holds it. */
function sweepFigures(run: SweepRun) {
  const base = { window_s: run.window, batch_size: run.batchSize, uses_shipped_defaults: run.usesShippedDefaults };
  if ('error' in run.result) return { ...base, status: `error: ${run.result.error}` };
  const figures = pipelineFigures(run.result);
  return {
    ...base,
    status: run.result.failure === undefined ? 'ok' : `failed: ${run.result.failure}`,
    records: figures.records,
    requests_per_record: figures.requests_per_record,
    requests_per_record_by_service: figures.requests_per_record_by_service,
    requests_by_operation: figures.requests_by_operation,
    latency_ms: figures.latency_ms,
    records_per_s: figures.records_per_s,
    max_queue_depth: figures.max_queue_depth,
    metric_messages_per_batch: figures.invocations_by_function.metric?.messages_per_batch ?? null,
    predictor_messages_per_batch: figures.invocations_by_function.predictor?.messages_per_batch ?? null,
  };
}

/** maintain's compaction at each log size, the ratios of the largest to the smallest, and where the time goes. */
export function compactionFigures(costs: readonly CompactionCost[]) {
  const small = costs[0];
  const large = costs[costs.length - 1];
  const ratio = (pick: (cost: CompactionCost) => number) => (small && large ? round(pick(large) / pick(small), 3) : null);
  return {
    time_ratio: ratio((cost) => cost.msPerRound),
    bytes_ratio: ratio((cost) => cost.bytesPerRound),
    /** The S3 calls' time alone (moto's server-side copy and hash of the whole log above 5 MiB). */
    s3_time_ratio: ratio((cost) => cost.s3MsPerRound),
    logs: costs.map((cost) => ({
      log_rows: cost.logRows,
      log_bytes: cost.logBytes,
      ms_per_round: round(cost.msPerRound, 1),
      s3_ms_per_round: round(cost.s3MsPerRound, 1),
      function_ms_per_round: round(cost.functionMsPerRound, 1),
      s3_share_of_time: round(Math.min(1, cost.s3MsPerRound / cost.msPerRound), 2),
      s3_ms_by_operation: mapValues(cost.s3MsByOperation, (ms) => round(ms, 1)),
      bytes_per_round: cost.bytesPerRound,
    })),
  };
}

/** The medians of a handler's S3 traffic: requests and body bytes, and each operation's requests. */
function trafficFigures(traffics: readonly Traffic[]) {
  const operations = [...new Set(traffics.flatMap((traffic) => Object.keys(traffic.byOperation)))].sort();
  const areas = [...new Set(traffics.flatMap((traffic) => Object.keys(traffic.byArea)))].sort();
  return {
    requests: median(traffics.map((traffic) => traffic.requests)),
    bytes_in: median(traffics.map((traffic) => traffic.bytesIn)),
    bytes_out: median(traffics.map((traffic) => traffic.bytesOut)),
    requests_by_operation: Object.fromEntries(
      operations.map((operation) => [operation, median(traffics.map((traffic) => traffic.byOperation[operation]?.count ?? 0))]),
    ),
    /** Where in the bucket: requests and bytes received, by area (the id index, a log's pieces, the segments, each state file). */
    by_area: Object.fromEntries(
      areas.map((area) => [
        area,
        {
          requests: median(traffics.map((traffic) => traffic.byArea[area]?.count ?? 0)),
          bytes_in: median(traffics.map((traffic) => traffic.byArea[area]?.bytesIn ?? 0)),
        },
      ]),
    ),
    id_index_hours_read: median(traffics.map((traffic) => traffic.indexHours.length)),
  };
}

/** A fresh child's first invocation: its median time (module load apart), peak RSS and S3 traffic, with the samples. */
function childFigures(samples: readonly ChildSample[]) {
  return {
    ms: round(median(samples.map((sample) => sample.firstMs)), 1),
    samples_ms: samples.map((sample) => round(sample.firstMs, 0)),
    module_load_ms: round(median(samples.map((sample) => sample.loadMs)), 0),
    process_ms: round(median(samples.map((sample) => sample.processMs)), 0),
    peak_rss_mb: round(median(samples.map((sample) => sample.peakRssMb)), 0),
    peak_rss_samples_mb: samples.map((sample) => round(sample.peakRssMb, 0)),
    /** The child before the handler loaded (node, tsx, the bench's script): not the handler's. */
    baseline_rss_mb: round(median(samples.map((sample) => sample.baselineRssMb)), 0),
    s3: trafficFigures(samples.map((sample) => sample.traffic)),
  };
}

function inventoryFigures(inventory: BucketInventory) {
  return {
    objects: inventory.objects,
    pieces: inventory.pieces,
    piece_bytes: inventory.pieceBytes,
    newest_piece: inventory.newestPiece ?? null,
    newest_piece_bytes: inventory.newestPieceBytes,
    id_index_objects: inventory.idIndexObjects,
    id_index_bytes: inventory.idIndexBytes,
    metrics_book_bytes: inventory.metricsBookBytes,
    error_histogram_bytes: inventory.errorHistogramBytes,
  };
}

/** The history figures at one size. */
function historyAt(history: HistoryMeasurement) {
  const { build } = history;
  return {
    rows: history.rows,
    orphans: build.orphans,
    span_hours: round(build.spanHours, 1),
    build: {
      log_bytes: build.logBytes,
      orphan_log_bytes: build.orphanLogBytes,
      generate_and_upload_s: round(build.uploadS, 1),
      migrate_s: round(build.migrateS, 1),
      migrate_peak_rss_mb: round(build.migratePeakRssMb, 0),
    },
    bucket_after_build: inventoryFigures(build.bucket),
    bucket_after: inventoryFigures(history.after),
    maintain_cold_start: childFigures(history.maintain),
    append: {
      ms: round(median(history.appends.map((append) => append.ms)), 1),
      samples_ms: history.appends.map((append) => round(append.ms, 0)),
      s3: trafficFigures(history.appends.map((append) => append.traffic)),
    },
    plot_cold_start: childFigures(history.plot),
    dashboard_first_load: childFigures(history.dashboard),
  };
}

/**
 * The history phase as bench.json holds it: each figure at each size, and the ratios of
 * the largest history to the smallest (bench.json's `history_…_ratio_10m_vs_1m`).
 */
export function historyFigures(result: HistoryResult) {
  const histories = result.histories.map(historyAt);
  const small = histories[0];
  const large = histories[histories.length - 1];
  const ratio = (pick: (history: ReturnType<typeof historyAt>) => number) =>
    small !== undefined && large !== undefined && histories.length > 1 ? round(pick(large) / pick(small), 3) : null;
  return {
    ratios: {
      cold_start: ratio((history) => history.maintain_cold_start.ms),
      rss: ratio((history) => history.maintain_cold_start.peak_rss_mb),
      append: ratio((history) => history.append.ms),
      plot: ratio((history) => history.plot_cold_start.ms),
      dashboard: ratio((history) => history.dashboard_first_load.ms),
    },
    largest_vs_smallest_rows: [large?.rows ?? null, small?.rows ?? null],
    rows_per_second: result.rowsPerSecond,
    minute_rows: result.minuteRows,
    segment_rows: result.segmentRows,
    repeats: result.repeats,
    warm_rounds_per_repeat: result.rounds,
    rows_per_orphan: result.rowsPerOrphan,
    histories_end_at: new Date(result.endedAt).toISOString(),
    load_average_1m_at_each_repeat: result.loadAverages.map((load) => round(load, 2)),
    histories,
  };
}

function contentionFigures(runs: readonly ContentionRun[], options: BenchOptions) {
  return {
    batch_size: options.batchSize,
    records_per_message: MAX_RECORDS_PER_MESSAGE,
    halves_per_commit: options.batchSize * MAX_RECORDS_PER_MESSAGE,
    seconds_per_run: options.contentionSeconds,
    repeats: options.contentionRepeats,
    writers: runs.map((run) => ({
      writers: run.writers,
      commits_per_s: round(run.commitsPerSecond, 1),
      records_per_s: round(run.recordsPerSecond, 0),
      conflict_retries_per_commit: round(run.conflictRetriesPerCommit, 3),
      commit_ms_p50: round(run.commitMsP50, 1),
      repeats_records_per_s: run.repeatsRecordsPerSecond.map((value) => round(value, 0)),
    })),
  };
}

export function buildReport(inputs: ReportInputs) {
  const pipeline = value(inputs.pipeline);
  const capacity = value(inputs.capacity);
  const depth = value(inputs.depth);
  const burstPhase: Phase<BurstResult> = inputs.burst ?? { skipped: 'no --burst' };
  const apiPhase: Phase<ApiResult> = inputs.api ?? { skipped: 'not run' };
  const api = value(apiPhase);
  const sweepPhase: Phase<readonly SweepRun[]> = inputs.windowSweep ?? { skipped: 'no --window-sweep' };
  const compactionPhase: Phase<readonly CompactionCost[]> = inputs.compactionCost ?? { skipped: 'not run' };
  const contentionPhase: Phase<readonly ContentionRun[]> = inputs.contention ?? { skipped: 'not run' };
  const historyPhase: Phase<HistoryResult> = inputs.history ?? { skipped: 'not run' };
  const history = value(historyPhase);
  const historyReport = history === undefined ? undefined : historyFigures(history);
  const sweep = value(sweepPhase);
  const compaction = value(compactionPhase);
  const compactionReport = compaction === undefined ? undefined : compactionFigures(compaction);
  const contention = value(contentionPhase);
  const metricCost = value(inputs.metricCost);
  const featureCostPhase: Phase<FeatureCostResult> = inputs.featureCost ?? { skipped: 'not run' };
  const featureCost = value(featureCostPhase);
  const featureCostReport = featureCost === undefined ? undefined : featureCostFigures(featureCost);
  const bundles = value(inputs.bundles);
  const plot = value(inputs.plot);
  const plotFigures = plot === undefined ? undefined : plotRatios(plot);
  const phases: Readonly<Record<string, Phase<unknown>>> = {
    burst: burstPhase,
    emulator_capacity: inputs.capacity,
    pipeline: inputs.pipeline,
    api: apiPhase,
    window_sweep: sweepPhase,
    emulator_depth: inputs.depth,
    metric_cost: inputs.metricCost,
    feature_cost: featureCostPhase,
    compaction_cost: compactionPhase,
    table_contention: contentionPhase,
    bundles: inputs.bundles,
    plot_cli: inputs.plot,
    history: historyPhase,
  };
  const failures = Object.entries(phases).flatMap(([name, phase]) =>
    'error' in phase ? [`${name.replace('_', ' ')}: ${phase.error}`] : [],
  );
  if (pipeline?.failure !== undefined) failures.unshift(`pipeline: ${pipeline.failure}`);
  if (api?.failure !== undefined) failures.push(`api: ${api.failure}`);
  for (const run of sweep ?? []) {
    const why = 'error' in run.result ? run.result.error : run.result.failure;
    if (why !== undefined) failures.push(`window sweep, window ${run.window} s: ${why}`);
  }
  const options = inputs.options;
  const figures = pipeline === undefined ? undefined : pipelineFigures(pipeline);

  return {
    status: failures.length === 0 ? 'ok' : 'failed',
    ...(failures.length === 0 ? {} : { failures }),
    /** The pipeline ran on serverless.yml's batch size and batching window (settings.ts's defaults). */
    uses_shipped_defaults: usesShippedDefaults(options),
    records: figures?.records ?? null,
    records_per_s: figures?.records_per_s ?? null,
    latency_ms: figures?.latency_ms ?? null,
    requests_per_record: figures?.requests_per_record ?? null,
    requests_per_record_by_service: figures?.requests_per_record_by_service ?? null,
    requests_by_operation: figures?.requests_by_operation ?? null,
    invocations_per_record: figures?.invocations_per_record ?? null,
    invocations_by_function: figures?.invocations_by_function ?? null,
    peak_rss_mb: figures?.peak_rss_mb ?? null,
    emulator_peak_rss_mb: figures?.emulator_peak_rss_mb ?? null,
    max_queue_depth: figures?.max_queue_depth ?? null,
    api: api ? apiFigures(api) : whyMissing(apiPhase),
    window_sweep: sweep ? sweep.map(sweepFigures) : whyMissing(sweepPhase),
    metric_cost_ratio_100k_vs_1k: metricCost ? round(metricCost.timeRatio, 3) : null,
    metric_bytes_ratio_100k_vs_1k: metricCost ? round(metricCost.bytesRatio, 3) : null,
    metric_cost: metricCost ? metricCostFigures(metricCost) : whyMissing(inputs.metricCost),
    metric_cost_ratio_with_features: featureCostReport?.metric_time_ratio ?? null,
    maintain_cost_ratio_with_features: featureCostReport?.maintain_time_ratio ?? null,
    feature_cost: featureCostReport ?? whyMissing(featureCostPhase),
    compaction_cost_ratio_1m_vs_10k: compactionReport?.time_ratio ?? null,
    compaction_bytes_ratio_1m_vs_10k: compactionReport?.bytes_ratio ?? null,
    compaction_cost: compactionReport ?? whyMissing(compactionPhase),
    table_contention: contention ? contentionFigures(contention, options) : whyMissing(contentionPhase),
    history_cold_start_ratio_10m_vs_1m: historyReport?.ratios.cold_start ?? null,
    history_rss_ratio_10m_vs_1m: historyReport?.ratios.rss ?? null,
    history_append_ratio_10m_vs_1m: historyReport?.ratios.append ?? null,
    history_plot_ratio_10m_vs_1m: historyReport?.ratios.plot ?? null,
    history_dashboard_ratio_10m_vs_1m: historyReport?.ratios.dashboard ?? null,
    history: historyReport ?? whyMissing(historyPhase),
    bundle_bytes: bundles ? mapValues(bundles.functions, (f) => f.bundleBytes) : null,
    zip_bytes: bundles ? mapValues(bundles.functions, (f) => f.zipBytes) : null,
    init_ms: bundles ? mapValues(bundles.functions, (f) => round(f.initMs, 1)) : null,
    emulator_capacity_records_per_s: capacity ? round(capacity.recordsPerS, 1) : null,
    emulator_capacity: capacity
      ? { records: capacity.records, wall_ms: round(capacity.wallMs, 0), concurrency: capacity.concurrency, requests: capacity.requests }
      : whyMissing(inputs.capacity),
    pipeline_vs_emulator_ratio: pipeline && capacity ? round(pipeline.recordsPerS / capacity.recordsPerS, 3) : null,
    burst: value(burstPhase) ?? whyMissing(burstPhase),
    emulator_depth_ratio: depth ? depth.wrapper.ratio : null,
    emulator_depth: depth ? depthReport(depth) : whyMissing(inputs.depth),
    plot_speedup_vs_seed: plotFigures?.speedup == null ? null : round(plotFigures.speedup, 2),
    plot_memory_ratio_vs_seed: plotFigures?.memoryRatio == null ? null : round(plotFigures.memoryRatio, 3),
    plot_cli: plot ?? whyMissing(inputs.plot),
    cost_estimate_usd_per_million_records: figures?.cost_estimate_usd_per_million_records ?? null,
    pipeline: figures?.pipeline ?? whyMissing(inputs.pipeline),
    // What applied: the flags (and this shell's FUNCTION_TIMEOUT, else serverless.yml's 30 s); the stack logs at WARN, without schedules.
    settings: {
      ...options,
      functionTimeout: options.functionTimeout ?? 30,
      logLevel: 'WARN',
      schedulesEnabled: false,
      shipped: SHIPPED,
    },
    phases: {
      ...mapValues(phases, (phase) => whyMissing(phase) ?? 'ok'),
      ...(pipeline?.failure === undefined ? {} : { pipeline: `failed: ${pipeline.failure}` }),
      ...(api?.failure === undefined ? {} : { api: `failed: ${api.failure}` }),
    } as Readonly<Record<string, string>>,
    machine: { ...inputs.machine, load_average_at_end: loadavg().map((load) => round(load, 2)) },
    bench_wall_s: round(inputs.benchWallS, 1),
  };
}

export type BenchReport = ReturnType<typeof buildReport>;

// ---------------------------------------------------------------- the table

export interface TableRow {
  readonly metric: string;
  readonly value: string;
  readonly target: string;
  /** true: meets the target; false: misses it; undefined: no target. */
  readonly ok?: boolean;
}

function fmt(value: number | null | undefined, decimals = 0, unit = ''): string {
  if (value === null || value === undefined || Number.isNaN(value)) return 'n/a';
  return `${value.toLocaleString('en-US', { maximumFractionDigits: decimals, minimumFractionDigits: decimals })}${unit}`;
}

/** The storm's rows: no time-out, nothing dead-lettered, every id one row, and how fast. */
function burstRows(burst: BurstResult): TableRow[] {
  const deadLetters = Object.values(burst.dead_letters).reduce((sum, count) => sum + count, 0);
  return [
    {
      metric: `burst: ${burst.runs} features runs × ${fmt(burst.records_per_run)} records at once`,
      value: `answered in ${fmt(burst.invoke_ms.max)} ms at most (p50 ${fmt(burst.invoke_ms.p50)}); ${burst.features_failed} failed`,
      target: 'within the timeout',
      ok: burst.features_failed === 0,
    },
    {
      metric: '  drained (every id one row, S3 and logs/)',
      value:
        burst.drain_s === null
          ? `not drained: ${fmt(burst.rows_missing)} missing`
          : `${fmt(burst.drain_s, 1)} s, ${fmt(burst.records_per_s, 1)} records/s`,
      target: `≤ ${TARGETS.burstDrainS} s`,
      ok: burst.drain_s !== null && burst.drain_s <= TARGETS.burstDrainS && burst.rows_duplicated === 0,
    },
    {
      metric: '  Lambda time-outs / dead letters',
      value: `${fmt(burst.lambda_timeouts)} / ${fmt(deadLetters)}`,
      target: '0 / 0',
      ok: burst.lambda_timeouts === 0 && deadLetters === 0,
    },
  ];
}

function pipelineRows(r: BenchReport): TableRow[] {
  const { batchSize, window, pollers } = r.settings;
  const rows: TableRow[] = [
    {
      metric: 'uses_shipped_defaults (batch size, window)',
      value: `${r.uses_shipped_defaults} (batch ${batchSize}, window ${window} s, ${pollers} pollers)`,
      target: `batch ${SHIPPED.batchSize}, window ${SHIPPED.window} s`,
      ok: r.uses_shipped_defaults,
    },
    { metric: 'records', value: r.records === null ? (r.phases.pipeline ?? 'n/a') : fmt(r.records), target: '' },
    { metric: 'records_per_s (emission → last row)', value: fmt(r.records_per_s, 1), target: '' },
  ];
  if (r.latency_ms) {
    const { p50, p95, p99 } = r.latency_ms;
    rows.push({
      metric: 'latency p50 / p95 / p99 (emission → row)',
      value: `${fmt(p50)} / ${fmt(p95)} / ${fmt(p99)} ms`,
      target: `p50 ≤ ${fmt(TARGETS.latencyP50Ms)} ms`,
      ok: p50 !== undefined && p50 <= TARGETS.latencyP50Ms,
    });
  }
  const byService = r.requests_per_record_by_service;
  rows.push({
    metric: 'requests_per_record',
    value: `${fmt(r.requests_per_record, 3)}${byService ? ` (SQS ${fmt(byService.sqs, 3)}, S3 ${fmt(byService.s3, 3)})` : ''}`,
    target: `≤ ${TARGETS.requestsPerRecord.toFixed(1)}`,
    ...(r.requests_per_record === null ? {} : { ok: r.requests_per_record <= TARGETS.requestsPerRecord }),
  });
  for (const [operation, count] of Object.entries(r.requests_by_operation ?? {})) {
    rows.push({ metric: `  ${operation}`, value: `${fmt(count)} (${fmt(count / (r.records ?? Number.NaN), 3)}/record)`, target: '' });
  }
  rows.push({ metric: 'invocations_per_record', value: fmt(r.invocations_per_record, 4), target: '' });
  for (const [fn, f] of Object.entries(r.invocations_by_function ?? {})) {
    const batch = f.messages_per_batch === null ? '' : `, ${fmt(f.messages_per_batch, 1)} messages a run`;
    rows.push({ metric: `  ${fn}`, value: `${fmt(f.invocations)} × ${fmt(f.mean_duration_ms, 1)} ms${batch}`, target: '' });
  }
  rows.push(
    { metric: 'max_queue_depth (visible + in flight)', value: fmt(r.max_queue_depth), target: '' },
    { metric: 'peak_rss_mb (sls offline + handlers)', value: fmt(r.peak_rss_mb, 0, ' MB'), target: '' },
    { metric: 'emulator_peak_rss_mb (moto)', value: fmt(r.emulator_peak_rss_mb, 0, ' MB'), target: '' },
    {
      metric: 'emulator_capacity_records_per_s',
      value: typeof r.emulator_capacity === 'string' ? r.emulator_capacity : fmt(r.emulator_capacity_records_per_s, 1),
      target: '',
    },
    {
      metric: 'pipeline_vs_emulator_ratio',
      value: `${fmt(r.pipeline_vs_emulator_ratio, 3)} (the yardstick moves a record a message; the pipeline packs up to 100)`,
      target: '',
    },
  );
  return rows;
}

function apiRows(r: BenchReport): TableRow[] {
  const api = r.api;
  if (typeof api !== 'object') return [{ metric: 'api (HTTP ingestion)', value: api ?? 'n/a', target: '' }];
  const { p50, p95, p99 } = api.latency_ms;
  const byService = api.requests_per_record_by_service;
  const log = api.metric_log;
  return [
    {
      metric: `api: records through POST /truths + /predictions (batches of ${api.batch_size})`,
      value: api.status === 'ok' ? fmt(api.records) : api.status,
      target: '',
    },
    {
      metric: 'api records_per_second (send → last row; sending alone)',
      value: `${fmt(api.records_per_second, 1)}/s; ${fmt(api.send_records_per_second, 1)}/s`,
      target: '',
    },
    {
      // No target: every record is sent at once, so this is mostly the time queued behind the others (a backfill's).
      metric: 'api latency p50 / p95 / p99 (send → row, all sent at once)',
      value: `${fmt(p50)} / ${fmt(p95)} / ${fmt(p99)} ms`,
      target: '',
    },
    {
      metric: 'api requests_per_record (SQS + S3 + HTTP)',
      value: `${fmt(api.requests_per_record, 3)} (SQS ${fmt(byService.sqs, 3)}, S3 ${fmt(byService.s3, 3)}, HTTP ${fmt(byService.http, 3)})`,
      target: '',
    },
    {
      metric: 'api rows_ok (every id exactly one row)',
      value:
        log === null
          ? 'not checked'
          : `${api.rows_ok ? 'yes' : 'no'}: ${fmt(log.rows)} rows, ${fmt(log.missing)} missing, ${fmt(log.doubled)} doubled`,
      target: 'yes',
      ok: api.rows_ok,
    },
  ];
}

function sweepRows(r: BenchReport): TableRow[] {
  const sweep = r.window_sweep;
  if (typeof sweep !== 'object') return [];
  return sweep.map((run) => {
    const metric = `window ${run.window_s} s, batch ${run.batch_size}${run.uses_shipped_defaults ? ' (shipped)' : ''}`;
    if (!('records' in run)) return { metric, value: run.status, target: '' };
    const { p50, p95 } = run.latency_ms;
    return {
      metric: `${metric}: requests/record, p50 / p95, records/s`,
      value: `${fmt(run.requests_per_record, 3)}, ${fmt(p50)} / ${fmt(p95)} ms, ${fmt(run.records_per_s, 1)}/s`,
      target: `≤ ${TARGETS.requestsPerRecord.toFixed(1)}, p50 ≤ ${fmt(TARGETS.latencyP50Ms)} ms`,
      ok: run.status === 'ok' && run.requests_per_record <= TARGETS.requestsPerRecord && (p50 ?? Number.NaN) <= TARGETS.latencyP50Ms,
    };
  });
}

function depthRows(r: BenchReport): TableRow[] {
  const depth = r.emulator_depth;
  const target = `≤ ${TARGETS.emulatorDepthRatio}`;
  if (typeof depth !== 'object') return [{ metric: 'emulator_depth_ratio', value: depth ?? 'n/a', target }];
  const ratio = depth.ratio;
  const plain = depth.plain_moto;
  return [
    {
      metric: `emulator_depth_ratio (SQS p50, depth ${fmt(depth.depth)} / 0)`,
      value: `${fmt(ratio, 2)} (send ${fmt(depth.send.ratio, 2)}, receive ${fmt(depth.receive.ratio, 2)})`,
      target,
      ok: ratio <= TARGETS.emulatorDepthRatio,
    },
    {
      metric: '  p50 send / receive, depth 0 → deep',
      value: `${fmt(depth.send.p50_ms_depth0, 1)} → ${fmt(depth.send.p50_ms_depth10k, 1)} / ${fmt(depth.receive.p50_ms_depth0, 1)} → ${fmt(depth.receive.p50_ms_depth10k, 1)} ms`,
      target: '',
    },
    typeof plain === 'object'
      ? {
          metric: `  plain moto_server, depth ${fmt(plain.depth)} / 0`,
          value: `send ${fmt(plain.send.ratio, 1)}, receive ${fmt(plain.receive.ratio, 1)}`,
          target: '',
        }
      : { metric: '  plain moto_server', value: plain, target: '' },
  ];
}

function metricCostRows(r: BenchReport): TableRow[] {
  const cost = r.metric_cost;
  const target = `≤ ${TARGETS.metricCostRatio}`;
  if (typeof cost !== 'object') return [{ metric: 'metric_cost_ratio_100k_vs_1k', value: cost ?? 'n/a', target }];
  const within = (ratio: number) => ratio <= TARGETS.metricCostRatio;
  const [small, large] = cost.measurements;
  const per = (m: typeof small) => (m ? `${fmt(m.ms_per_record, 3)} ms, ${fmt(m.s3_bytes_per_record)} B` : 'n/a');
  return [
    { metric: 'metric_cost_ratio_100k_vs_1k (time)', value: fmt(cost.time_ratio, 3), target, ok: within(cost.time_ratio) },
    { metric: 'metric_bytes_ratio_100k_vs_1k (S3 bytes)', value: fmt(cost.bytes_ratio, 3), target, ok: within(cost.bytes_ratio) },
    { metric: '  per record after 1k / 100k records', value: `${per(small)} / ${per(large)}`, target: '' },
  ];
}

function featureCostRows(r: BenchReport): TableRow[] {
  const cost = r.feature_cost;
  const target = `≤ ${TARGETS.featureCostRatio}`;
  if (typeof cost !== 'object') return [{ metric: 'metric_cost_ratio_with_features', value: cost ?? 'n/a', target }];
  const within = (ratio: number) => ratio <= TARGETS.featureCostRatio;
  const { without_features: without, with_features: withFeatures } = cost;
  const spread = (ratios: readonly number[]) => `pairs ${fmt(Math.min(...ratios), 2)}–${fmt(Math.max(...ratios), 2)}`;
  return [
    {
      metric: `metric_cost_ratio_with_features (10 vs 0, ${cost.pairs} pairs)`,
      value: `${fmt(cost.metric_time_ratio, 3)} (${spread(cost.pair_metric_time_ratios)})`,
      target,
      ok: within(cost.metric_time_ratio),
    },
    {
      metric: 'maintain_cost_ratio_with_features',
      value: `${fmt(cost.maintain_time_ratio, 3)} (${spread(cost.pair_maintain_time_ratios)})`,
      target,
      ok: within(cost.maintain_time_ratio),
    },
    {
      metric: '  metric / maintain per record, without / with',
      value: `${fmt(without.metric_ms_per_record, 3)} / ${fmt(withFeatures.metric_ms_per_record, 3)} ms; ${fmt(without.maintain_ms_per_record, 3)} / ${fmt(withFeatures.maintain_ms_per_record, 3)} ms`,
      target: '',
    },
    {
      metric: "  metric's S3 bytes per record, without / with",
      value: `${fmt(without.metric_s3_bytes_per_record)} / ${fmt(withFeatures.metric_s3_bytes_per_record)} B (${fmt(cost.metric_s3_bytes_ratio, 2)}×)`,
      target: '',
    },
  ];
}

function compactionRows(r: BenchReport): TableRow[] {
  const cost = r.compaction_cost;
  const target = `≤ ${TARGETS.compactionCostRatio}`;
  if (typeof cost !== 'object') return [{ metric: 'compaction_cost_ratio_1m_vs_10k', value: cost ?? 'n/a', target }];
  const within = (ratio: number | null) => ratio !== null && ratio <= TARGETS.compactionCostRatio;
  const logs = cost.logs.map((log) => `${fmt(log.ms_per_round)} ms (S3 ${fmt(log.s3_ms_per_round)})`).join(' / ');
  return [
    { metric: 'compaction_cost_ratio_1m_vs_10k (time)', value: fmt(cost.time_ratio, 3), target, ok: within(cost.time_ratio) },
    { metric: 'compaction_bytes_ratio_1m_vs_10k (bytes moved)', value: fmt(cost.bytes_ratio, 3), target, ok: within(cost.bytes_ratio) },
    { metric: '  a round at 10k / 1M rows', value: logs, target: '' },
    { metric: '  time ratio of the S3 calls alone', value: fmt(cost.s3_time_ratio, 2), target: '' },
  ];
}

/** 1000 → 1k, 1000000 → 1M: the histories' sizes in the table. */
export function shortCount(n: number): string {
  if (n >= 1e9 && n % 1e9 === 0) return `${n / 1e9}G`;
  if (n >= 1e6 && n % 1e6 === 0) return `${n / 1e6}M`;
  if (n >= 1e3 && n % 1e3 === 0) return `${n / 1e3}k`;
  return fmt(n);
}

function historyTableRows(r: BenchReport): TableRow[] {
  const history = r.history;
  const target = `≤ ${TARGETS.historyRatio}`;
  if (typeof history !== 'object') return [{ metric: 'history_cold_start_ratio_10m_vs_1m', value: history ?? 'n/a', target }];
  const small = history.histories[0];
  const large = history.histories[history.histories.length - 1];
  if (small === undefined || large === undefined) return [];
  const sizes = `${shortCount(small.rows)} / ${shortCount(large.rows)}`;
  const within = (ratio: number | null) => ratio !== null && ratio <= TARGETS.historyRatio;
  type AtSize = NonNullable<typeof small>;
  const row = (metric: string, ratio: number | null, pick: (h: AtSize) => number, unit: string): TableRow => ({
    metric,
    value: `${fmt(ratio, 2)} (${fmt(pick(small))} / ${fmt(pick(large))}${unit})`,
    target,
    ok: within(ratio),
  });
  const mb = (bytes: number) => fmt(bytes / 1e6, 1);
  return [
    row(
      `history_cold_start_ratio_10m_vs_1m (maintain's 1st run, ${sizes})`,
      history.ratios.cold_start,
      (h) => h.maintain_cold_start.ms,
      ' ms',
    ),
    row('history_rss_ratio_10m_vs_1m (its peak RSS)', history.ratios.rss, (h) => h.maintain_cold_start.peak_rss_mb, ' MB'),
    row(
      `history_append_ratio_10m_vs_1m (a minute's ${fmt(history.minute_rows)} rows, warm)`,
      history.ratios.append,
      (h) => h.append.ms,
      ' ms',
    ),
    row("history_plot_ratio_10m_vs_1m (plot's 1st run)", history.ratios.plot, (h) => h.plot_cold_start.ms, ' ms'),
    row('history_dashboard_ratio_10m_vs_1m (first load)', history.ratios.dashboard, (h) => h.dashboard_first_load.ms, ' ms'),
    {
      metric: `  cold start's S3 reads (id index hours), ${sizes}`,
      value: `${mb(small.maintain_cold_start.s3.bytes_in)} MB (${fmt(small.maintain_cold_start.s3.id_index_hours_read)} h) / ${mb(large.maintain_cold_start.s3.bytes_in)} MB (${fmt(large.maintain_cold_start.s3.id_index_hours_read)} h)`,
      target: '',
    },
    {
      metric: `  history build (upload + maintain's migration), ${sizes}`,
      value: `${fmt(small.build.generate_and_upload_s)} + ${fmt(small.build.migrate_s)} s / ${fmt(large.build.generate_and_upload_s)} + ${fmt(large.build.migrate_s)} s`,
      target: '',
    },
  ];
}

function contentionRows(r: BenchReport): TableRow[] {
  const contention = r.table_contention;
  if (typeof contention !== 'object') return [{ metric: 'table_contention', value: contention ?? 'n/a', target: '' }];
  return contention.writers.map((run) => ({
    metric: `table contention, ${run.writers} writer${run.writers === 1 ? '' : 's'} (${fmt(contention.halves_per_commit)} halves a commit)`,
    value:
      `${fmt(run.records_per_s)} rec/s, ${fmt(run.commits_per_s, 1)} commits/s, ` +
      `${fmt(run.conflict_retries_per_commit, 2)} retries, p50 ${fmt(run.commit_ms_p50)} ms`,
    target: '',
  }));
}

function bundleAndPlotRows(r: BenchReport): TableRow[] {
  const rows: TableRow[] = Object.entries(r.bundle_bytes ?? {}).map(([fn, bytes]) => ({
    metric: `bundle ${fn} (init ${fmt(r.init_ms?.[fn], 1)} ms)`,
    value: `${fmt(bytes / 1024, 0)} KiB (zip ${fmt((r.zip_bytes?.[fn] ?? 0) / 1024, 0)} KiB)`,
    target: '< 1 MB',
    ok: bytes < TARGETS.bundleBytes,
  }));
  if (r.bundle_bytes === null) rows.push({ metric: 'bundle_bytes', value: r.phases.bundles ?? 'n/a', target: '< 1 MB' });
  const plot = r.plot_cli;
  if (typeof plot !== 'object') return [...rows, { metric: 'plot CLI', value: plot ?? 'n/a', target: 'vs pandas' }];
  const seed = plot.seed;
  const rowsText = fmt(plot.rows);
  if ('skipped' in seed) {
    return [
      ...rows,
      {
        metric: `plot CLI, ${rowsText} rows: whole process`,
        value: `${fmt(plot.process_wall_ms, 0, ' ms')}, ${fmt(plot.peak_rss_mb, 0, ' MB')}`,
        target: '',
      },
      { metric: 'plot CLI vs pandas', value: seed.skipped, target: '' },
    ];
  }
  return [
    ...rows,
    {
      metric: `plot CLI, ${rowsText} rows: speed-up vs pandas (${fmt(plot.process_wall_ms, 0, ' ms')} vs ${fmt(seed.process_wall_ms, 0, ' ms')})`,
      value: `${fmt(r.plot_speedup_vs_seed, 2)}×`,
      target: `≥ ${TARGETS.plotSpeedupVsSeed}×`,
      ok: r.plot_speedup_vs_seed !== null && r.plot_speedup_vs_seed >= TARGETS.plotSpeedupVsSeed,
    },
    {
      metric: `plot CLI, ${rowsText} rows: peak RSS vs pandas (${fmt(plot.peak_rss_mb, 0, ' MB')} vs ${fmt(seed.peak_rss_mb, 0, ' MB')})`,
      value: fmt(r.plot_memory_ratio_vs_seed, 3),
      target: `≤ ${TARGETS.plotMemoryRatioVsSeed}`,
      ok: r.plot_memory_ratio_vs_seed !== null && r.plot_memory_ratio_vs_seed <= TARGETS.plotMemoryRatioVsSeed,
    },
  ];
}

export function tableRows(report: BenchReport): TableRow[] {
  return [
    ...(typeof report.burst === 'object' ? burstRows(report.burst) : []),
    ...pipelineRows(report),
    ...apiRows(report),
    ...sweepRows(report),
    ...depthRows(report),
    ...metricCostRows(report),
    ...featureCostRows(report),
    ...compactionRows(report),
    ...contentionRows(report),
    ...bundleAndPlotRows(report),
    ...historyTableRows(report),
  ];
}

export function formatTable(rows: readonly TableRow[]): string {
  const width = (pick: (row: TableRow) => string, title: string) => Math.max(title.length, ...rows.map((row) => pick(row).length));
  const shorten = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
  const metricWidth = width((row) => row.metric, 'metric');
  const valueWidth = Math.min(
    60,
    width((row) => row.value, 'value'),
  );
  const targetWidth = width((row) => row.target, 'target');
  const line = (metric: string, val: string, target: string, verdict: string) =>
    `${metric.padEnd(metricWidth)}  ${shorten(val, 60).padEnd(valueWidth)}  ${target.padEnd(targetWidth)}  ${verdict}`.trimEnd();
  const out = [line('metric', 'value', 'target', ''), line('-'.repeat(metricWidth), '-'.repeat(valueWidth), '-'.repeat(targetWidth), '')];
  for (const row of rows) out.push(line(row.metric, row.value, row.target, row.ok === undefined ? '' : row.ok ? 'ok' : 'MISSED'));
  return out.join('\n');
}
