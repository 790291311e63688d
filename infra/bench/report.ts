/**
 * The bench's results: one JSON document (logs/bench.json) and a table for people,
 * with the targets the project holds itself to. Pure: phase results in, report out.
 */
import { loadavg } from 'node:os';
import type { BenchOptions } from './args.js';
import type { BundlesResult } from './bundles.js';
import type { BurstResult } from './burst.js';
import type { CapacityResult } from './emulatorCapacity.js';
import type { DepthResult, EmulatorDepth } from './emulatorDepth.js';
import type { MetricCostResult } from './metricCost.js';
import type { PipelineResult } from './pipeline.js';
import type { PlotCliResult } from './plotCli.js';
import { round } from './stats.js';

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
  readonly depth: Phase<DepthResult>;
  readonly metricCost: Phase<MetricCostResult>;
  readonly bundles: Phase<BundlesResult>;
  readonly plot: Phase<PlotCliResult>;
  readonly benchWallS: number;
}

export const TARGETS = {
  requestsPerRecord: 1.0,
  metricCostRatio: 1.3,
  /** SQS p50 per request at depth 10,000 over depth 0, the worse of send and receive. */
  emulatorDepthRatio: 2,
  bundleBytes: 1024 * 1024,
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

/**
 * The emulator depth phase as bench.json holds it. The wrapper's keys name 10k: the
 * default depth (`depth` says which was used); plain moto is measured shallower.
 */
export function depthReport(depth: DepthResult): Record<string, unknown> {
  const plainSide = (side: EmulatorDepth) => ({
    depth: side.depth,
    depth_at_end: side.depth_at_end,
    send: { p50_ms_depth0: side.send.p50_ms_depth0, p50_ms_at_depth: side.send.p50_ms_deep, ratio: side.send.ratio },
    receive: { p50_ms_depth0: side.receive.p50_ms_depth0, p50_ms_at_depth: side.receive.p50_ms_deep, ratio: side.receive.ratio },
    ratio: side.ratio,
    fill_s: side.fill_s,
  });
  const wrapper = depth.wrapper;
  return {
    depth: wrapper.depth,
    depth_at_end: wrapper.depth_at_end,
    repeats: depth.repeats,
    send: { p50_ms_depth0: wrapper.send.p50_ms_depth0, p50_ms_depth10k: wrapper.send.p50_ms_deep, ratio: wrapper.send.ratio },
    receive: { p50_ms_depth0: wrapper.receive.p50_ms_depth0, p50_ms_depth10k: wrapper.receive.p50_ms_deep, ratio: wrapper.receive.ratio },
    ratio: wrapper.ratio,
    fill_s: wrapper.fill_s,
    plain_moto: depth.plain ? { ...plainSide(depth.plain), note: depth.plainNote } : depth.plainNote,
  };
}

function mapValues<T, U>(record: Readonly<Record<string, T>>, map: (value: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([key, v]) => [key, map(v)]));
}

/** Dollars per million records from the request counts and local durations. */
export function costEstimate(pipeline: PipelineResult): Record<string, number> {
  const perRecord = (count: number) => (pipeline.records > 0 ? count / pipeline.records : 0);
  let sqs = 0;
  let s3PutList = 0;
  let s3GetHead = 0;
  for (const [operation, stats] of Object.entries(pipeline.requestsByOperation)) {
    if (operation.startsWith('sqs:')) sqs += stats.count;
    else if (/^s3:(Put|List|Post|Copy|Create|Complete)/.test(operation)) s3PutList += stats.count;
    else if (/^s3:(Get|Head)/.test(operation)) s3GetHead += stats.count;
  }
  let durationMs = 0;
  for (const figures of Object.values(pipeline.invocationsByFunction)) durationMs += figures.totalDurationMs;
  const million = 1e6;
  const lambdaCompute = perRecord(durationMs / 1000) * MEMORY_GB * PRICES_USD.lambda_gb_s_arm64 * million;
  const lambdaRequests = perRecord(pipeline.invocations) * PRICES_USD.lambda_request * million;
  const sqsCost = perRecord(sqs) * PRICES_USD.sqs_request * million;
  const s3Cost = (perRecord(s3PutList) * PRICES_USD.s3_put_list + perRecord(s3GetHead) * PRICES_USD.s3_get_head) * million;
  return {
    lambda_gb_s_per_record: round(perRecord(durationMs / 1000) * MEMORY_GB, 6),
    lambda_compute: round(lambdaCompute, 4),
    lambda_requests: round(lambdaRequests, 4),
    sqs: round(sqsCost, 4),
    s3: round(s3Cost, 4),
    total: round(lambdaCompute + lambdaRequests + sqsCost + s3Cost, 4),
  };
}

export function buildReport(inputs: ReportInputs): Record<string, unknown> {
  const pipeline = value(inputs.pipeline);
  const capacity = value(inputs.capacity);
  const depth = value(inputs.depth);
  const burstPhase: Phase<BurstResult> = inputs.burst ?? { skipped: 'no --burst' };
  const burst = value(burstPhase);
  const metricCost = value(inputs.metricCost);
  const bundles = value(inputs.bundles);
  const plot = value(inputs.plot);
  const failures = (
    [
      ['burst', burstPhase],
      ['emulator capacity', inputs.capacity],
      ['pipeline', inputs.pipeline],
      ['emulator depth', inputs.depth],
      ['metric cost', inputs.metricCost],
      ['bundles', inputs.bundles],
      ['plot cli', inputs.plot],
    ] as const
  ).flatMap(([name, phase]) => ('error' in phase ? [`${name}: ${phase.error}`] : []));
  if (pipeline?.failure !== undefined) failures.unshift(`pipeline: ${pipeline.failure}`);
  const options = inputs.options;

  return {
    status: failures.length === 0 ? 'ok' : 'failed',
    ...(failures.length === 0 ? {} : { failures }),
    records: pipeline?.records ?? null,
    records_per_s: pipeline ? round(pipeline.recordsPerS, 1) : null,
    latency_ms: pipeline ? mapValues({ ...pipeline.latencyMs } as Record<string, number>, (v) => round(v, 0)) : null,
    requests_per_record: pipeline ? round(pipeline.requestsPerRecord, 3) : null,
    requests_by_operation: pipeline ? mapValues(pipeline.requestsByOperation, (stats) => stats.count) : null,
    requests_per_record_by_operation: pipeline
      ? mapValues(pipeline.requestsByOperation, (stats) => round(stats.count / pipeline.records, 4))
      : null,
    operations_detail: pipeline
      ? mapValues(pipeline.requestsByOperation, (stats) => ({
          request: stats.requestBytes,
          response: stats.responseBytes,
          statuses: stats.statuses,
          mean_ms: round(stats.totalMs / stats.count, 1),
          max_ms: round(stats.maxMs, 0),
        }))
      : null,
    invocations_per_record: pipeline ? round(pipeline.invocationsPerRecord, 4) : null,
    invocations_by_function: pipeline
      ? mapValues(pipeline.invocationsByFunction, (f) => ({
          invocations: f.invocations,
          total_duration_ms: round(f.totalDurationMs, 0),
          mean_duration_ms: round(f.meanDurationMs, 1),
        }))
      : null,
    batches_by_queue: pipeline
      ? mapValues(pipeline.batchesByQueue, (q) => ({
          batches: q.batches,
          messages: q.messages,
          mean_batch: round(q.meanBatch, 1),
          failed_batches: q.failedBatches,
        }))
      : null,
    peak_rss_mb: pipeline?.peakRssMb !== undefined ? round(pipeline.peakRssMb, 0) : null,
    pipeline_tree_peak_rss_mb: pipeline?.pipelineTreePeakRssMb !== undefined ? round(pipeline.pipelineTreePeakRssMb, 0) : null,
    pipeline_lifetime_peak_rss_mb: pipeline?.pipelineLifetimePeakRssMb !== undefined ? round(pipeline.pipelineLifetimePeakRssMb, 0) : null,
    emulator_peak_rss_mb: pipeline?.emulatorPeakRssMb !== undefined ? round(pipeline.emulatorPeakRssMb, 0) : null,
    bench_process_peak_rss_mb: pipeline?.benchProcessPeakRssMb !== undefined ? round(pipeline.benchProcessPeakRssMb, 0) : null,
    max_queue_depth: pipeline?.maxQueueDepth ?? null,
    max_queue_depth_by_queue: pipeline?.maxQueueDepthByQueue ?? null,
    metric_cost_ratio_100k_vs_1k: metricCost ? round(metricCost.timeRatio, 3) : null,
    metric_cost: metricCost
      ? {
          time_ratio: round(metricCost.timeRatio, 3),
          bytes_ratio: round(metricCost.bytesRatio, 3),
          realistic_table_time_ratio: round(metricCost.realisticTimeRatio, 3),
          realistic_table_bytes_ratio: round(metricCost.realisticBytesRatio, 3),
          measurements: metricCost.measurements.map((m) => ({
            rows: m.rows,
            table: m.variant,
            records: m.records,
            ms_per_record: round(m.medianMsPerRecord, 4),
            s3_bytes_per_record: round(m.medianS3BytesPerRecord, 0),
            s3_requests_per_invocation: round(m.medianS3RequestsPerInvocation, 2),
            runs_ms_per_record: m.runs.map((r) => round(r.msPerRecord, 4)),
            table_bytes_after: m.runs.map((r) => r.tableBytes),
          })),
        }
      : whyMissing(inputs.metricCost),
    bundle_bytes: bundles ? mapValues(bundles.functions, (f) => f.bundleBytes) : null,
    zip_bytes: bundles ? mapValues(bundles.functions, (f) => f.zipBytes) : null,
    init_ms: bundles ? mapValues(bundles.functions, (f) => round(f.initMs, 1)) : null,
    init_samples_ms: bundles ? mapValues(bundles.functions, (f) => f.initSamplesMs.map((v) => round(v, 1))) : null,
    emulator_capacity_records_per_s: capacity ? round(capacity.recordsPerS, 1) : null,
    emulator_capacity: capacity
      ? { records: capacity.records, wall_ms: round(capacity.wallMs, 0), concurrency: capacity.concurrency, requests: capacity.requests }
      : whyMissing(inputs.capacity),
    pipeline_vs_emulator_ratio: pipeline && capacity ? round(pipeline.recordsPerS / capacity.recordsPerS, 3) : null,
    burst: burst ?? whyMissing(burstPhase),
    emulator_depth_ratio: depth ? depth.wrapper.ratio : null,
    emulator_depth: depth ? depthReport(depth) : whyMissing(inputs.depth),
    plot_cli: plot
      ? {
          rows: plot.rows,
          wall_ms: plot.wall_ms,
          peak_rss_mb: plot.peak_rss_mb,
          process_wall_ms: plot.process_wall_ms,
          command: plot.command,
          input_bytes: plot.input_bytes,
          runs: plot.runs,
          reference: plot.reference,
        }
      : whyMissing(inputs.plot),
    cost_estimate_usd_per_million_records: pipeline ? { ...costEstimate(pipeline), prices_usd: PRICES_USD } : null,
    pipeline: pipeline
      ? {
          wall_s: round(pipeline.wallS, 1),
          stack_start_s: round(pipeline.stackStartS, 1),
          emitted: pipeline.emitted,
          rows_seen: pipeline.rowsSeen,
          requests: pipeline.requests,
          invocations: pipeline.invocations,
          segment_writes: pipeline.segmentWrites,
          duplicate_segment_ids: pipeline.duplicateSegmentIds,
          plot_invocations: pipeline.plotInvocations,
          slow_features_runs: pipeline.slowFeaturesRuns,
          metric_log: pipeline.metricLog,
          problems: pipeline.problems,
        }
      : whyMissing(inputs.pipeline),
    settings: {
      records_requested: options.records,
      RECORDS_PER_RUN: options.recordsPerRun,
      SQS_BATCH_SIZE: options.batchSize,
      SQS_BATCHING_WINDOW: options.window,
      SQS_POLLERS: options.pollers,
      SQS_WAIT_TIME_SECONDS: options.waitTimeSeconds,
      max_depth: options.maxDepth,
      FUNCTION_TIMEOUT: options.functionTimeout ?? 30,
      LOG_LEVEL: 'WARN',
      SCHEDULES_ENABLED: false,
      metric_cost_records: options.metricCostRecords,
      metric_cost_repeats: options.metricCostRepeats,
      plot_rows: options.plotRows,
      depth_messages: options.depthMessages,
      plain_depth_messages: options.plainDepthMessages,
      depth_repeats: options.depthRepeats,
      burst_runs: options.burstRuns,
      burst_records_per_run: options.burstRecordsPerRun,
      only: options.only ?? null,
    },
    phases: {
      burst: whyMissing(burstPhase) ?? 'ok',
      emulator_capacity: whyMissing(inputs.capacity) ?? 'ok',
      pipeline: whyMissing(inputs.pipeline) ?? (pipeline?.failure === undefined ? 'ok' : `failed: ${pipeline.failure}`),
      emulator_depth: whyMissing(inputs.depth) ?? 'ok',
      metric_cost: whyMissing(inputs.metricCost) ?? 'ok',
      bundles: whyMissing(inputs.bundles) ?? 'ok',
      plot_cli: whyMissing(inputs.plot) ?? 'ok',
    },
    machine: { ...inputs.machine, load_average_at_end: loadavg().map((value) => round(value, 2)) },
    bench_wall_s: round(inputs.benchWallS, 1),
  };
}

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

/** The fields of buildReport's document the table reads; a skipped or failed phase leaves null or a reason string. */
interface ReportView {
  readonly records: number | null;
  readonly records_per_s: number | null;
  readonly latency_ms: { readonly p50: number; readonly p95: number; readonly p99: number } | null;
  readonly requests_per_record: number | null;
  readonly requests_by_operation: Readonly<Record<string, number>> | null;
  readonly invocations_per_record: number | null;
  readonly invocations_by_function: Readonly<Record<string, { readonly invocations: number; readonly mean_duration_ms: number }>> | null;
  readonly max_queue_depth: number | null;
  readonly peak_rss_mb: number | null;
  readonly emulator_peak_rss_mb: number | null;
  readonly emulator_capacity_records_per_s: number | null;
  readonly emulator_capacity: unknown;
  readonly pipeline_vs_emulator_ratio: number | null;
  readonly emulator_depth_ratio: number | null;
  readonly emulator_depth:
    | {
        readonly depth: number;
        readonly send: { readonly p50_ms_depth0: number; readonly p50_ms_depth10k: number; readonly ratio: number };
        readonly receive: { readonly p50_ms_depth0: number; readonly p50_ms_depth10k: number; readonly ratio: number };
        readonly plain_moto:
          | {
              readonly depth: number;
              readonly send: { readonly ratio: number };
              readonly receive: { readonly ratio: number };
            }
          | string;
      }
    | string
    | undefined;
  readonly metric_cost:
    | {
        readonly time_ratio: number;
        readonly bytes_ratio: number;
        readonly realistic_table_time_ratio: number;
        readonly realistic_table_bytes_ratio: number;
      }
    | string
    | undefined;
  readonly bundle_bytes: Readonly<Record<string, number>> | null;
  readonly zip_bytes: Readonly<Record<string, number>> | null;
  readonly init_ms: Readonly<Record<string, number>> | null;
  readonly plot_cli:
    | {
        readonly rows: number;
        readonly wall_ms: number;
        readonly peak_rss_mb: number;
        readonly reference: { readonly wall_ms: number; readonly peak_rss_mb: number };
      }
    | string
    | undefined;
  readonly burst?: BurstResult | string;
  readonly phases?: Readonly<Record<string, string>>;
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
      target: '≤ 420 s',
      ok: burst.drain_s !== null && burst.drain_s <= 420 && burst.rows_duplicated === 0,
    },
    {
      metric: '  Lambda time-outs / dead letters',
      value: `${fmt(burst.lambda_timeouts)} / ${fmt(deadLetters)}`,
      target: '0 / 0',
      ok: burst.lambda_timeouts === 0 && deadLetters === 0,
    },
  ];
}

export function tableRows(report: Record<string, unknown>): TableRow[] {
  const r = report as unknown as ReportView;
  const rows: TableRow[] = [];
  const missing = (entry: unknown) => (typeof entry === 'string' ? entry : 'n/a');
  if (typeof r.burst === 'object') rows.push(...burstRows(r.burst));
  rows.push({ metric: 'records', value: r.records === null ? missing(r.phases?.pipeline) : fmt(r.records), target: '' });
  rows.push({ metric: 'records_per_s (emission → last row)', value: fmt(r.records_per_s, 1), target: '' });
  if (r.latency_ms) {
    rows.push({
      metric: 'latency p50 / p95 / p99 (emission → row)',
      value: `${fmt(r.latency_ms.p50)} / ${fmt(r.latency_ms.p95)} / ${fmt(r.latency_ms.p99)} ms`,
      target: '',
    });
  }
  rows.push({
    metric: 'requests_per_record',
    value: fmt(r.requests_per_record, 3),
    target: `≤ ${TARGETS.requestsPerRecord.toFixed(1)}`,
    ...(typeof r.requests_per_record === 'number' ? { ok: r.requests_per_record <= TARGETS.requestsPerRecord } : {}),
  });
  if (r.requests_by_operation) {
    for (const [operation, count] of Object.entries(r.requests_by_operation)) {
      rows.push({ metric: `  ${operation}`, value: `${fmt(count)} (${fmt(count / (r.records ?? Number.NaN), 3)}/record)`, target: '' });
    }
  }
  rows.push({ metric: 'invocations_per_record', value: fmt(r.invocations_per_record, 4), target: '' });
  if (r.invocations_by_function) {
    for (const [fn, f] of Object.entries(r.invocations_by_function)) {
      rows.push({ metric: `  ${fn}`, value: `${fmt(f.invocations)} × ${fmt(f.mean_duration_ms, 1)} ms`, target: '' });
    }
  }
  rows.push({ metric: 'max_queue_depth (visible + in flight)', value: fmt(r.max_queue_depth), target: '' });
  rows.push({ metric: 'peak_rss_mb (sls offline + handlers)', value: fmt(r.peak_rss_mb, 0, ' MB'), target: '' });
  rows.push({ metric: 'emulator_peak_rss_mb (moto)', value: fmt(r.emulator_peak_rss_mb, 0, ' MB'), target: '' });
  rows.push({
    metric: 'emulator_capacity_records_per_s',
    value: r.emulator_capacity_records_per_s === null ? missing(r.emulator_capacity) : fmt(r.emulator_capacity_records_per_s, 1),
    target: '',
  });
  rows.push({
    metric: 'pipeline_vs_emulator_ratio',
    value: `${fmt(r.pipeline_vs_emulator_ratio, 3)} (at most ~0.33: 3 queue cycles per record)`,
    target: '',
  });
  const depth = r.emulator_depth;
  if (typeof depth === 'object' && depth !== null && typeof r.emulator_depth_ratio === 'number') {
    rows.push({
      metric: `emulator_depth_ratio (SQS p50, depth ${fmt(depth.depth)} / 0)`,
      value: `${fmt(r.emulator_depth_ratio, 2)} (send ${fmt(depth.send.ratio, 2)}, receive ${fmt(depth.receive.ratio, 2)})`,
      target: `≤ ${TARGETS.emulatorDepthRatio}`,
      ok: r.emulator_depth_ratio <= TARGETS.emulatorDepthRatio,
    });
    rows.push({
      metric: '  p50 send / receive, depth 0 → deep',
      value: `${fmt(depth.send.p50_ms_depth0, 1)} → ${fmt(depth.send.p50_ms_depth10k, 1)} / ${fmt(depth.receive.p50_ms_depth0, 1)} → ${fmt(depth.receive.p50_ms_depth10k, 1)} ms`,
      target: '',
    });
    const plain = depth.plain_moto;
    rows.push(
      typeof plain === 'object'
        ? {
            metric: `  plain moto_server, depth ${fmt(plain.depth)} / 0`,
            value: `send ${fmt(plain.send.ratio, 1)}, receive ${fmt(plain.receive.ratio, 1)}`,
            target: '',
          }
        : { metric: '  plain moto_server', value: plain, target: '' },
    );
  } else {
    rows.push({ metric: 'emulator_depth_ratio', value: missing(depth), target: `≤ ${TARGETS.emulatorDepthRatio}` });
  }
  if (typeof r.metric_cost === 'object' && r.metric_cost !== null) {
    rows.push({
      metric: 'metric_cost_ratio_100k_vs_1k (time)',
      value: fmt(r.metric_cost.time_ratio, 3),
      target: `≤ ${TARGETS.metricCostRatio}`,
      ok: r.metric_cost.time_ratio <= TARGETS.metricCostRatio,
    });
    rows.push({
      metric: '  S3 bytes ratio',
      value: fmt(r.metric_cost.bytes_ratio, 3),
      target: `≤ ${TARGETS.metricCostRatio}`,
      ok: r.metric_cost.bytes_ratio <= TARGETS.metricCostRatio,
    });
    rows.push({
      metric: '  with the settled ids a real table keeps',
      value: `time ${fmt(r.metric_cost.realistic_table_time_ratio, 3)}, bytes ${fmt(r.metric_cost.realistic_table_bytes_ratio, 3)}`,
      target: `≤ ${TARGETS.metricCostRatio}`,
      ok: Math.max(r.metric_cost.realistic_table_time_ratio, r.metric_cost.realistic_table_bytes_ratio) <= TARGETS.metricCostRatio,
    });
  } else {
    rows.push({ metric: 'metric_cost_ratio_100k_vs_1k', value: missing(r.metric_cost), target: `≤ ${TARGETS.metricCostRatio}` });
  }
  if (r.bundle_bytes) {
    for (const [fn, bytes] of Object.entries(r.bundle_bytes)) {
      rows.push({
        metric: `bundle ${fn} (init ${fmt(r.init_ms?.[fn], 1)} ms)`,
        value: `${fmt(bytes / 1024, 0)} KiB (zip ${fmt((r.zip_bytes?.[fn] ?? 0) / 1024, 0)} KiB)`,
        target: '< 1 MB',
        ok: bytes < TARGETS.bundleBytes,
      });
    }
  } else {
    rows.push({ metric: 'bundle_bytes', value: missing(r.phases?.bundles), target: '< 1 MB' });
  }
  if (typeof r.plot_cli === 'object' && r.plot_cli !== null) {
    const plot = r.plot_cli;
    rows.push({
      metric: `plot CLI, ${fmt(plot.rows)} rows: wall`,
      value: fmt(plot.wall_ms, 0, ' ms'),
      target: `≤ ${fmt(plot.reference.wall_ms, 0, ' ms')} (pandas)`,
      ok: plot.wall_ms <= plot.reference.wall_ms,
    });
    rows.push({
      metric: `plot CLI, ${fmt(plot.rows)} rows: peak RSS`,
      value: fmt(plot.peak_rss_mb, 0, ' MB'),
      target: `≤ ${fmt(plot.reference.peak_rss_mb, 0, ' MB')} (pandas)`,
      ok: plot.peak_rss_mb <= plot.reference.peak_rss_mb,
    });
  } else {
    rows.push({ metric: 'plot CLI', value: missing(r.plot_cli), target: 'vs pandas' });
  }
  return rows;
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
