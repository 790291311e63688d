/** `npm run bench` flags, read with node's util.parseArgs. Pure: argv in, options out (or a UsageError saying what is wrong). */
import { parseArgs } from 'node:util';
import { LIMITS } from '../functions/commons/platform/settings.js';
import { LOCAL_SETTINGS } from '../infra/local/settings.js';

/** The phases `--only` can pick (the emulator and proxy start only for capacity, pipeline and api). */
export const PHASES = [
  'burst',
  'capacity',
  'pipeline',
  'api',
  'window-sweep',
  'depth',
  'metric-cost',
  'feature-cost',
  'compaction-cost',
  'contention',
  'bundles',
  'plot',
  'history',
] as const;
export type BenchPhase = (typeof PHASES)[number];
/** The phases a `--skip-<phase>` flag leaves out: all but the pipeline and those only a flag asks for. */
const SKIPPABLE = PHASES.filter((phase) => !['burst', 'pipeline', 'window-sweep'].includes(phase));

/**
 * The event source settings as shipped: settings.ts's defaults, which serverless.yml's
 * `${env:…, default}` repeat (tests/unit/functions/commons/platform/settings.test.ts
 * holds the two together).
 */
export const SHIPPED = {
  batchSize: Number(LOCAL_SETTINGS.batchSize.default),
  window: Number(LOCAL_SETTINGS.batchingWindowSeconds.default),
  pollers: Number(LOCAL_SETTINGS.pollers.default),
  waitTimeSeconds: Number(LOCAL_SETTINGS.waitTimeSeconds.default),
} as const;

/** Whether a run's batch size and batching window are the shipped ones (bench.json's `uses_shipped_defaults`). */
export function usesShippedDefaults(settings: Pick<PipelineSettings, 'batchSize' | 'window'>): boolean {
  return settings.batchSize === SHIPPED.batchSize && settings.window === SHIPPED.window;
}

/** AWS's rule (settings.ts): a batch over 10 needs a window of at least 1 s; the window sweep's window 0 uses batches of 10. */
export function batchSizeForWindow(batchSize: number, window: number): number {
  return window < 1 ? Math.min(batchSize, LIMITS.batchSizeWithoutWindow) : batchSize;
}

export interface PipelineSettings {
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
  /** Give up on the pipeline (or the burst) after this many seconds without every row. */
  readonly timeoutSeconds: number;
  /** FUNCTION_TIMEOUT for features, predictor and metric; unset: serverless.yml's default (30 s). */
  readonly functionTimeout?: number | undefined;
  /** Where to copy sls offline's console, timestamped (for diagnosing the pipeline); none by default. */
  readonly slsLog?: string | undefined;
}

export interface BenchOptions extends PipelineSettings {
  /** Where bench.json goes (relative to the project unless absolute). */
  readonly output: string;
  readonly capacityRecords: number;
  readonly metricCostRecords: number;
  readonly metricCostRepeats: number;
  /** Feature cost phase: pairs of children (without and with features, the order alternating); the records and repeats are metric cost's. */
  readonly featureCostPairs: number;
  /** Chunks of 100 records that the labels trail their predictions by, feature cost phase. */
  readonly featureLabelLag: number;
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
  /** `--window-sweep 0,1,2,5`: the pipeline again at each batching window (seconds); empty: no sweep. */
  readonly windowSweep: readonly number[];
  /** Records of each window-sweep run. */
  readonly sweepRecords: number;
  /** Records (a truth and a prediction each) sent through the HTTP ingestion API, api phase. */
  readonly apiRecords: number;
  /** Halves per commit, writers and seconds of each contention run. */
  readonly contentionSeconds: number;
  readonly contentionRepeats: number;
  /** Rounds (compactions) per log size, compaction cost phase. */
  readonly compactionRounds: number;
  /** `--history-rows`: the histories' sizes, ascending; the ratios are the largest's over the smallest's. */
  readonly historyRows: readonly number[];
  /** Fresh-child measurements per history (median taken), and warm maintain runs in each. */
  readonly historyRepeats: number;
  readonly historyRounds: number;
  /** One orphaned half per this many rows of each history (0: none). */
  readonly historyRowsPerOrphan: number;
  /** Run only these phases (`--only depth,bundles`); undefined: all but the skipped ones. */
  readonly only?: readonly BenchPhase[] | undefined;
  /** Phases left out with `--skip-<phase>`. */
  readonly skip: readonly BenchPhase[];
}

/**
 * The pipeline runs on the shipped event source settings (SHIPPED: batch size,
 * batching window, pollers, long-poll wait) unless flags say otherwise; only the load
 * is the bench's own:
 * - features runs of 50 records (RECORDS_PER_RUN, shipped 10: the load, not a setting
 *   of the pipeline's cost per record; each run's requests are per 10 records anyway);
 * - at most 150 messages (visible + in flight) in any queue before features runs again.
 * FUNCTION_TIMEOUT stays serverless.yml's (30 s): the rare invocation that stalls here
 * (about one in a thousand) was seen to stall for good, so a longer timeout only delays
 * the redelivery that recovers it.
 */
export const DEFAULTS: BenchOptions = {
  records: 10_000,
  recordsPerRun: 50,
  batchSize: SHIPPED.batchSize,
  window: SHIPPED.window,
  pollers: SHIPPED.pollers,
  waitTimeSeconds: SHIPPED.waitTimeSeconds,
  maxDepth: 150,
  output: 'logs/bench.json',
  timeoutSeconds: 1_800,
  capacityRecords: 3_000,
  metricCostRecords: 2_000,
  metricCostRepeats: 5,
  featureCostPairs: 5,
  // 1,000 predictions waiting for their labels (10 s at the bench's 100 records a second): the join table holds their inputs.
  featureLabelLag: 10,
  plotRows: 1_000_000,
  depthMessages: 10_000,
  plainDepthMessages: 1_000,
  depthRepeats: 15,
  burstRuns: 0,
  burstRecordsPerRun: 500,
  windowSweep: [],
  sweepRecords: 3_000,
  apiRecords: 3_000,
  contentionSeconds: 5,
  contentionRepeats: 3,
  compactionRounds: 7,
  historyRows: [1_000_000, 10_000_000],
  historyRepeats: 5,
  historyRounds: 3,
  historyRowsPerOrphan: 1_000,
  skip: [],
};

export class UsageError extends Error {
  override name = 'UsageError';
}

type NumberKey = { [K in keyof BenchOptions]-?: NonNullable<BenchOptions[K]> extends number ? K : never }[keyof BenchOptions];

/** Each integer flag: the option it sets, its bounds and its help. */
const NUMBER_FLAGS: Readonly<Record<string, readonly [key: NumberKey, min: number, max: number, help: string]>> = {
  records: ['records', 1, Number.POSITIVE_INFINITY, 'records to push through the pipeline'],
  'records-per-run': ['recordsPerRun', 1, 9_999, 'RECORDS_PER_RUN: records per features invocation'],
  'batch-size': ['batchSize', 1, 10_000, 'SQS_BATCH_SIZE: messages per predictor/metric invocation'],
  window: ['window', 0, 300, 'SQS_BATCHING_WINDOW: seconds to gather a batch (>= 1 above batch size 10)'],
  pollers: ['pollers', 1, 64, 'SQS_POLLERS: concurrent pollers per queue'],
  'wait-time': ['waitTimeSeconds', 0, 20, 'SQS_WAIT_TIME_SECONDS: long-poll wait'],
  'max-depth': ['maxDepth', 1, Number.POSITIVE_INFINITY, 'invoke features only while every queue holds fewer messages than this'],
  'function-timeout': ['functionTimeout', 1, 900, "FUNCTION_TIMEOUT in seconds (default: serverless.yml's 30)"],
  timeout: ['timeoutSeconds', 1, Number.POSITIVE_INFINITY, 'seconds to wait for every row before giving up'],
  'capacity-records': ['capacityRecords', 10, Number.POSITIVE_INFINITY, 'records for the emulator capacity probe'],
  'metric-cost-records': ['metricCostRecords', 100, 10_000, 'records per metric cost measurement'],
  'metric-cost-repeats': ['metricCostRepeats', 1, 20, 'metric cost measurements per log size (median taken)'],
  'feature-cost-pairs': ['featureCostPairs', 1, 50, 'feature cost: pairs of children without and with features (median taken)'],
  'feature-label-lag': ['featureLabelLag', 0, 1_000, 'feature cost: chunks of 100 records the labels trail their predictions by'],
  'plot-rows': ['plotRows', 1, Number.POSITIVE_INFINITY, 'rows of the generated metric_log.csv for the plot CLI'],
  depth: ['depthMessages', 10, 100_000, 'messages in the deep queue, emulator depth phase (the wrapper)'],
  'plain-depth': ['plainDepthMessages', 0, 100_000, 'the same for plain moto_server (0: not measured)'],
  'depth-repeats': ['depthRepeats', 3, 200, 'timed sends and receives per queue, emulator depth phase'],
  burst: [
    'burstRuns',
    1,
    200,
    'the storm: this many features runs at once on the shipped defaults (with the depth phase unless --only says otherwise)',
  ],
  'burst-records': ['burstRecordsPerRun', 1, 10_000, 'RECORDS_PER_RUN of each burst run'],
  'api-records': [
    'apiRecords',
    1,
    Number.POSITIVE_INFINITY,
    'records (a truth and a prediction each) sent through the HTTP API, api phase',
  ],
  'sweep-records': ['sweepRecords', 1, Number.POSITIVE_INFINITY, 'records of each --window-sweep run'],
  'contention-seconds': ['contentionSeconds', 1, 600, 'seconds of each contention run (1, 2, 4, 8 writers)'],
  'contention-repeats': ['contentionRepeats', 1, 20, 'contention runs per writer count (median taken)'],
  'compaction-rounds': ['compactionRounds', 1, 100, 'compactions per log size, compaction cost phase (median taken)'],
  'history-repeats': ['historyRepeats', 1, 50, 'cold starts (fresh children) per history, history phase (median taken)'],
  'history-rounds': ['historyRounds', 1, 20, "warm maintain runs of a minute's rows after each cold start, history phase"],
  'history-rows-per-orphan': [
    'historyRowsPerOrphan',
    0,
    Number.POSITIVE_INFINITY,
    "one orphaned half per this many rows of each history's orphans.csv (0: none)",
  ],
};

const STRING_FLAGS = {
  output: `where to write the JSON (default ${DEFAULTS.output})`,
  'sls-log': "append sls offline's console, timestamped, to this file",
  only: `run only these phases: ${PHASES.join(', ')}`,
  'window-sweep': 'the pipeline again at each of these batching windows, e.g. 0,1,2,5 (window 0: batches of 10)',
  'history-rows': `the history phase's sizes in rows, ascending (default ${DEFAULTS.historyRows.join(',')}; ratios: largest over smallest)`,
} as const;

const PARSE_OPTIONS = {
  ...Object.fromEntries([...Object.keys(NUMBER_FLAGS), ...Object.keys(STRING_FLAGS)].map((flag) => [flag, { type: 'string' as const }])),
  ...Object.fromEntries(SKIPPABLE.map((phase) => [`skip-${phase}`, { type: 'boolean' as const }])),
  help: { type: 'boolean' as const, short: 'h' },
};

export function usage(): string {
  const line = (flag: string, help: string) => `  ${flag.padEnd(26)} ${help}`;
  return [
    'usage: npm run bench -- [flags]',
    '',
    ...Object.entries(NUMBER_FLAGS).map(([flag, [key, , , help]]) => line(`--${flag} <n>`, `${help} (default ${String(DEFAULTS[key])})`)),
    ...Object.entries(STRING_FLAGS).map(([flag, help]) =>
      line(`--${flag} <${{ only: 'phase,...', 'window-sweep': 's,...', 'history-rows': 'n,...' }[flag as string] ?? 'path'}>`, help),
    ),
    ...SKIPPABLE.map((phase) => line(`--skip-${phase}`, `leave out the ${phase} phase`)),
    line('--help', 'this text'),
  ].join('\n');
}

function integer(flag: string, text: string, min: number, max: number): number {
  const number = Number(text);
  if (text.trim() === '' || !Number.isInteger(number) || number < min || number > max) {
    throw new UsageError(`--${flag} must be an integer from ${min}${Number.isFinite(max) ? ` to ${max}` : ' up'}, got "${text}"`);
  }
  return number;
}

function phases(text: string): BenchPhase[] {
  const names = text.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !(PHASES as readonly string[]).includes(name));
  if (unknown.length > 0) throw new UsageError(`--only: unknown phase ${unknown.join(', ')} (phases: ${PHASES.join(', ')})`);
  return names as BenchPhase[];
}

function windows(text: string): number[] {
  const values = text.split(',').map((value) => integer('window-sweep', value.trim(), 0, 300));
  if (new Set(values).size !== values.length) throw new UsageError(`--window-sweep: a window given twice in "${text}"`);
  return values;
}

/** The smallest history: one orphan in it at least, and a few runs of `features`. */
const MIN_HISTORY_ROWS = 1_000;

function historySizes(text: string): number[] {
  const values = text.split(',').map((value) => integer('history-rows', value.trim(), MIN_HISTORY_ROWS, 1_000_000_000));
  if (values.length < 2) throw new UsageError(`--history-rows needs two sizes at least (the ratios compare them), got "${text}"`);
  if (values.some((value, i) => i > 0 && value <= (values[i - 1] as number))) {
    throw new UsageError(`--history-rows: sizes in ascending order, each once, got "${text}"`);
  }
  return values;
}

/** The options `argv` (default: this process's arguments) asks for; undefined for --help. Throws UsageError. */
export function parseBenchArgs(argv?: readonly string[]): BenchOptions | undefined {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      ...(argv === undefined ? {} : { args: [...argv] }),
      options: PARSE_OPTIONS,
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${usage()}`);
  }
  if (values.help === true) return undefined;
  const numbers: Partial<Record<NumberKey, number>> = {};
  for (const [flag, [key, min, max]] of Object.entries(NUMBER_FLAGS)) {
    const text = values[flag];
    if (typeof text === 'string') numbers[key] = integer(flag, text, min, max);
  }
  const text = (flag: keyof typeof STRING_FLAGS) => (typeof values[flag] === 'string' ? (values[flag] as string) : undefined);
  const only = text('only');
  const sweep = text('window-sweep');
  const history = text('history-rows');
  const options: BenchOptions = {
    ...DEFAULTS,
    ...numbers,
    output: text('output') ?? DEFAULTS.output,
    slsLog: text('sls-log'),
    windowSweep: sweep === undefined ? DEFAULTS.windowSweep : windows(sweep),
    historyRows: history === undefined ? DEFAULTS.historyRows : historySizes(history),
    // `--burst` is its own mode: the storm and the emulator's cost at depth, unless --only picks phases.
    only: only !== undefined ? phases(only) : numbers.burstRuns !== undefined ? ['burst', 'depth'] : undefined,
    skip: SKIPPABLE.filter((phase) => values[`skip-${phase}`] === true),
  };
  // AWS refuses such a mapping, and so does the event source: say it here, before a stack starts.
  if (options.batchSize > 10 && options.window < 1) {
    throw new UsageError(`--batch-size ${options.batchSize} (> 10) needs --window of at least 1 second, as on AWS`);
  }
  return options;
}

/** Records actually pushed: a whole number of features runs, each emitting recordsPerRun. */
export function plannedEmission(records: number, recordsPerRun: number): { runs: number; recordsPerRun: number; records: number } {
  const perRun = Math.min(recordsPerRun, records);
  const runs = Math.ceil(records / perRun);
  return { runs, recordsPerRun: perRun, records: runs * perRun };
}

/** Why a phase does not run (the flag that says so), or undefined when it runs. */
export function skipReason(options: BenchOptions, phase: BenchPhase): string | undefined {
  if (phase === 'burst' && options.burstRuns === 0) return 'no --burst';
  if (phase === 'window-sweep' && options.windowSweep.length === 0) return 'no --window-sweep';
  if (options.only !== undefined && !options.only.includes(phase)) return `--only ${options.only.join(',')}`;
  return options.skip.includes(phase) ? `--skip-${phase}` : undefined;
}
