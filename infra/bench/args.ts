/** `npm run bench` flags. Pure: argv in, options out (or an error saying what is wrong). */

/** The phases `--only` can pick (the emulator and proxy start only for capacity and pipeline). */
export const PHASES = ['burst', 'capacity', 'pipeline', 'depth', 'metric-cost', 'bundles', 'plot'] as const;
export type BenchPhase = (typeof PHASES)[number];

export interface BenchOptions {
  /** Records pushed through the pipeline (rounded up to a whole number of features runs). */
  readonly records: number;
  readonly recordsPerRun: number;
  readonly batchSize: number;
  /** maximumBatchingWindow, seconds. */
  readonly window: number;
  readonly pollers: number;
  /** The event source's long-poll wait, seconds. */
  readonly waitTimeSeconds: number;
  /** features is invoked again only while each queue holds fewer messages (visible + in flight) than this. */
  readonly maxDepth: number;
  /** Where bench.json goes (relative to the project unless absolute). */
  readonly output: string;
  /** Where to copy sls offline's console, timestamped (for diagnosing the pipeline); none by default. */
  readonly slsLog?: string | undefined;
  /** Give up on the pipeline after this many seconds without every row. */
  readonly timeoutSeconds: number;
  /** FUNCTION_TIMEOUT for features, predictor and metric; unset: serverless.yml's default (30 s). */
  readonly functionTimeout?: number | undefined;
  readonly capacityRecords: number;
  readonly metricCostRecords: number;
  readonly metricCostRepeats: number;
  readonly plotRows: number;
  /** Messages in the deep queue of the emulator depth phase (the wrapper). */
  readonly depthMessages: number;
  /** The same for plain moto_server, whose filling slows with depth; 0 leaves it out. */
  readonly plainDepthMessages: number;
  readonly depthRepeats: number;
  /** `--burst RUNS`: features runs invoked at once on the shipped defaults; 0: no burst phase. */
  readonly burstRuns: number;
  /** RECORDS_PER_RUN of each burst run. */
  readonly burstRecordsPerRun: number;
  /** Run only these phases (`--only depth,bundles`); undefined: all but the skipped ones. */
  readonly only?: readonly BenchPhase[] | undefined;
  readonly skipCapacity: boolean;
  readonly skipDepth: boolean;
  readonly skipMetricCost: boolean;
  readonly skipBundles: boolean;
  readonly skipPlot: boolean;
}

/**
 * Tuned on 2 cores against plain moto, whose SQS costs grow with each queue's depth
 * (it recounts the queue for every message it sends or receives), so the defaults keep
 * every queue shallow while batches stay big enough for ≤ 1 request per record. The
 * wrapper (infra/cloud/fast_moto_server.py) has since made that cost flat (the depth
 * phase shows it); the defaults stay so that runs compare with the README's:
 * - features runs of 50 records: small bursts, smooth depths;
 * - one poller per queue and a 2 s batching window: metric batches of ~100 halves,
 *   so its three S3 requests per invocation cost ~0.05 per record; the batch size
 *   (1000) is only a ceiling, the window is what closes a batch;
 * - 20 s long polls: an idle poller costs one request per 20 s, not per second;
 * - at most 150 messages (visible + in flight) in any queue before features runs again.
 * FUNCTION_TIMEOUT stays serverless.yml's (30 s): the rare invocation that stalls here
 * (about one in a thousand) was seen to stall for good, so a longer timeout only delays
 * the redelivery that recovers it.
 */
export const DEFAULTS: BenchOptions = {
  records: 10_000,
  recordsPerRun: 50,
  batchSize: 1_000,
  window: 2,
  pollers: 1,
  waitTimeSeconds: 20,
  maxDepth: 150,
  output: 'logs/bench.json',
  timeoutSeconds: 1_800,
  capacityRecords: 3_000,
  metricCostRecords: 2_000,
  metricCostRepeats: 5,
  plotRows: 1_000_000,
  depthMessages: 10_000,
  plainDepthMessages: 1_000,
  depthRepeats: 15,
  burstRuns: 0,
  burstRecordsPerRun: 500,
  skipCapacity: false,
  skipDepth: false,
  skipMetricCost: false,
  skipBundles: false,
  skipPlot: false,
};

export class UsageError extends Error {
  override name = 'UsageError';
}

const NUMBER_FLAGS: Readonly<Record<string, { key: keyof BenchOptions; min: number; max?: number; help: string }>> = {
  '--records': { key: 'records', min: 1, help: 'records to push through the pipeline' },
  '--records-per-run': { key: 'recordsPerRun', min: 1, max: 9_999, help: 'RECORDS_PER_RUN: records per features invocation' },
  '--batch-size': { key: 'batchSize', min: 1, max: 10_000, help: 'SQS_BATCH_SIZE: messages per predictor/metric invocation' },
  '--window': { key: 'window', min: 0, max: 300, help: 'SQS_BATCHING_WINDOW: seconds to gather a batch (>= 1 above batch size 10)' },
  '--pollers': { key: 'pollers', min: 1, max: 64, help: 'SQS_POLLERS: concurrent pollers per queue' },
  '--wait-time': { key: 'waitTimeSeconds', min: 0, max: 20, help: 'SQS_WAIT_TIME_SECONDS: long-poll wait' },
  '--max-depth': { key: 'maxDepth', min: 1, help: 'invoke features only while every queue holds fewer messages than this' },
  '--function-timeout': {
    key: 'functionTimeout',
    min: 1,
    max: 900,
    help: "FUNCTION_TIMEOUT in seconds (default: serverless.yml's 30)",
  },
  '--timeout': { key: 'timeoutSeconds', min: 1, help: 'seconds to wait for every row before giving up' },
  '--capacity-records': { key: 'capacityRecords', min: 10, help: 'records for the emulator capacity probe' },
  '--metric-cost-records': { key: 'metricCostRecords', min: 100, help: 'records per metric cost measurement' },
  '--metric-cost-repeats': { key: 'metricCostRepeats', min: 1, max: 20, help: 'metric cost measurements per log size (median taken)' },
  '--plot-rows': { key: 'plotRows', min: 1, help: 'rows of the generated metric_log.csv for the plot CLI' },
  '--depth': { key: 'depthMessages', min: 10, max: 100_000, help: 'messages in the deep queue, emulator depth phase (the wrapper)' },
  '--plain-depth': { key: 'plainDepthMessages', min: 0, max: 100_000, help: 'the same for plain moto_server (0: not measured)' },
  '--burst': {
    key: 'burstRuns',
    min: 1,
    max: 200,
    help: 'the storm: this many features runs at once on the shipped defaults (alone with the depth phase unless --only says otherwise)',
  },
  '--burst-records': { key: 'burstRecordsPerRun', min: 1, max: 10_000, help: 'RECORDS_PER_RUN of each burst run' },
  '--depth-repeats': { key: 'depthRepeats', min: 3, max: 200, help: 'timed sends and receives per queue, emulator depth phase' },
};

const BOOLEAN_FLAGS: Readonly<Record<string, { key: keyof BenchOptions; help: string }>> = {
  '--skip-capacity': { key: 'skipCapacity', help: 'skip the emulator capacity probe' },
  '--skip-depth': { key: 'skipDepth', help: 'skip the emulator cost vs queue depth measurement' },
  '--skip-metric-cost': { key: 'skipMetricCost', help: 'skip the metric cost vs log size measurement' },
  '--skip-bundles': { key: 'skipBundles', help: 'skip sls package (bundle sizes, init times)' },
  '--skip-plot': { key: 'skipPlot', help: 'skip the plot CLI at scale' },
};

export function usage(): string {
  const lines = ['usage: npm run bench -- [flags]', ''];
  for (const [flag, spec] of Object.entries(NUMBER_FLAGS)) {
    lines.push(`  ${`${flag} <n>`.padEnd(26)} ${spec.help} (default ${String(DEFAULTS[spec.key])})`);
  }
  lines.push(`  ${'--output <path>'.padEnd(26)} where to write the JSON (default ${DEFAULTS.output})`);
  lines.push(`  ${'--sls-log <path>'.padEnd(26)} append sls offline's console, timestamped, to this file`);
  lines.push(`  ${'--only <phase,...>'.padEnd(26)} run only these phases: ${PHASES.join(', ')}`);
  for (const [flag, spec] of Object.entries(BOOLEAN_FLAGS)) lines.push(`  ${flag.padEnd(26)} ${spec.help}`);
  lines.push(`  ${'--help'.padEnd(26)} this text`);
  return lines.join('\n');
}

/** Parses `--flag value` and `--flag=value`; throws UsageError. Returns undefined for --help. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions | undefined {
  const options: Record<string, unknown> = { ...DEFAULTS };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') return undefined;
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : undefined;
    const booleanSpec = BOOLEAN_FLAGS[flag];
    if (booleanSpec) {
      if (inline !== undefined && !['true', 'false'].includes(inline)) throw new UsageError(`${flag} takes no value (or =true/=false)`);
      options[booleanSpec.key] = inline !== 'false';
      continue;
    }
    const numberSpec = NUMBER_FLAGS[flag];
    if (!numberSpec && flag !== '--output' && flag !== '--sls-log' && flag !== '--only')
      throw new UsageError(`unknown flag ${arg}\n${usage()}`);
    const value = inline ?? argv[++i];
    if (value === undefined || value === '') throw new UsageError(`${flag} needs a value`);
    if (flag === '--only') {
      const phases = value.split(',').map((name) => name.trim());
      const unknown = phases.filter((name) => !(PHASES as readonly string[]).includes(name));
      if (unknown.length > 0) throw new UsageError(`--only: unknown phase ${unknown.join(', ')} (phases: ${PHASES.join(', ')})`);
      options.only = phases;
      continue;
    }
    if (flag === '--output' || flag === '--sls-log') {
      options[flag === '--output' ? 'output' : 'slsLog'] = value;
      continue;
    }
    const spec = numberSpec as NonNullable<typeof numberSpec>;
    const number = Number(value);
    if (!Number.isInteger(number) || number < spec.min || (spec.max !== undefined && number > spec.max)) {
      throw new UsageError(
        `${flag} must be an integer from ${spec.min}${spec.max === undefined ? ' up' : ` to ${spec.max}`}, got "${value}"`,
      );
    }
    options[spec.key] = number;
  }
  // `--burst` is its own mode: the storm and the emulator's cost at depth, unless --only picks phases.
  if ((options.burstRuns as number) > 0 && options.only === undefined) options.only = ['burst', 'depth'];
  const parsed = options as unknown as BenchOptions;
  // AWS refuses such a mapping, and so does the event source: say it here, before a stack starts.
  if (parsed.batchSize > 10 && parsed.window < 1) {
    throw new UsageError(`--batch-size ${parsed.batchSize} (> 10) needs --window of at least 1 second, as on AWS`);
  }
  return parsed;
}

/** Records actually pushed: a whole number of features runs, each emitting recordsPerRun. */
export function plannedEmission(records: number, recordsPerRun: number): { runs: number; recordsPerRun: number; records: number } {
  const perRun = Math.min(recordsPerRun, records);
  const runs = Math.ceil(records / perRun);
  return { runs, recordsPerRun: perRun, records: runs * perRun };
}

const SKIP_FLAGS: Readonly<Partial<Record<BenchPhase, { key: keyof BenchOptions; flag: string }>>> = {
  capacity: { key: 'skipCapacity', flag: '--skip-capacity' },
  depth: { key: 'skipDepth', flag: '--skip-depth' },
  'metric-cost': { key: 'skipMetricCost', flag: '--skip-metric-cost' },
  bundles: { key: 'skipBundles', flag: '--skip-bundles' },
  plot: { key: 'skipPlot', flag: '--skip-plot' },
};

/** Why a phase does not run (the flag that says so), or undefined when it runs. */
export function skipReason(options: BenchOptions, phase: BenchPhase): string | undefined {
  if (phase === 'burst' && options.burstRuns === 0) return 'no --burst';
  if (options.only !== undefined && !options.only.includes(phase)) return `--only ${options.only.join(',')}`;
  const skip = SKIP_FLAGS[phase];
  return skip !== undefined && options[skip.key] === true ? skip.flag : undefined;
}
