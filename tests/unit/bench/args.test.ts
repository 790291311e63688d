/** bench/args.ts: `npm run bench` flags through util.parseArgs. */
import { describe, expect, it } from 'vitest';
import {
  type BenchOptions,
  batchSizeForWindow,
  DEFAULTS,
  parseBenchArgs,
  plannedEmission,
  skipReason,
  UsageError,
  usage,
  usesShippedDefaults,
} from '../../../bench/args.js';
import { LOCAL_SETTINGS as SETTINGS } from '../../../infra/local/settings.js';

/** Parses flags that must be valid. */
function parsed(argv: readonly string[]): BenchOptions {
  const options = parseBenchArgs(argv);
  if (options === undefined) throw new Error(`${argv.join(' ')} asked for help`);
  return options;
}

describe('parseBenchArgs', () => {
  it('gives the defaults for no flags', () => {
    const options = parseBenchArgs([]);

    expect(options).toEqual(DEFAULTS);
  });

  it('runs the pipeline on the shipped batch size, window, pollers and long poll (settings.ts, as serverless.yml)', () => {
    const options = parsed([]);

    expect(options).toMatchObject({ batchSize: 100, window: 1, pollers: 2, waitTimeSeconds: 20 });
    expect(String(options.batchSize)).toBe(SETTINGS.batchSize.default);
    expect(String(options.window)).toBe(SETTINGS.batchingWindowSeconds.default);
    expect(usesShippedDefaults(options)).toBe(true);
    expect(usesShippedDefaults(parsed(['--batch-size', '1000', '--window', '2']))).toBe(false);
    expect(usesShippedDefaults(parsed(['--records-per-run', '10']))).toBe(true);
  });

  it('reads --window-sweep as whole seconds, each once', () => {
    expect(parsed(['--window-sweep', '0,1, 2,5']).windowSweep).toEqual([0, 1, 2, 5]);
    expect(() => parseBenchArgs(['--window-sweep', '1,1'])).toThrow(/given twice/);
    expect(() => parseBenchArgs(['--window-sweep', '1,x'])).toThrow(/--window-sweep must be an integer from 0 to 300/);
  });

  it('reads --flag value and --flag=value', () => {
    const argv = ['--records', '300', '--batch-size=100', '--window', '2', '--skip-plot', '--output', '/tmp/x.json'];

    const options = parsed(argv);

    expect(options).toMatchObject({ records: 300, batchSize: 100, window: 2, output: '/tmp/x.json' });
    expect(options.skip).toEqual(['plot']);
  });

  it.each([
    [['--records', 'ten'], /--records must be an integer from 1 up, got "ten"/],
    [['--records', '0'], /from 1 up/],
    [['--wait-time', '21'], /--wait-time must be an integer from 0 to 20/],
    [['--recrods', '5'], /Unknown option '--recrods'/],
    [['--records'], /argument missing/],
    [['--records', '--window', '2'], /ambiguous/],
    [['--batch-size', '100', '--window', '0'], /needs --window of at least 1 second/],
    [['--only', 'depth,pipelin'], /unknown phase pipelin/],
    [['extra'], /positional/],
  ])('refuses %j with a UsageError', (argv, message) => {
    const act = () => parseBenchArgs(argv);

    expect(act).toThrow(UsageError);
    expect(act).toThrow(message);
  });

  it('measures histories of 1M and 10M rows by default, five cold starts each with three warm runs', () => {
    expect(DEFAULTS).toMatchObject({
      historyRows: [1_000_000, 10_000_000],
      historyRepeats: 5,
      historyRounds: 3,
      historyRowsPerOrphan: 1_000,
    });
    expect(parsed(['--history-rows-per-orphan', '0']).historyRowsPerOrphan).toBe(0);
  });

  it('reads --history-rows as ascending sizes, and the repeats and rounds as integers', () => {
    const options = parsed(['--history-rows', '1000, 10000', '--history-repeats', '1', '--history-rounds', '2']);

    expect(options).toMatchObject({ historyRows: [1_000, 10_000], historyRepeats: 1, historyRounds: 2 });
    expect(parsed(['--history-rows', '1000,5000,20000']).historyRows).toEqual([1_000, 5_000, 20_000]);
    expect(parsed(['--history-rows', '1e6,1e7']).historyRows).toEqual([1_000_000, 10_000_000]);
  });

  it.each([
    [['--history-rows', '1000000'], /two sizes at least/],
    [['--history-rows', '10000,1000'], /ascending order, each once/],
    [['--history-rows', '1000,1000'], /ascending order, each once/],
    [['--history-rows', '100,1000'], /--history-rows must be an integer from 1000 to 1000000000, got "100"/],
    [['--history-rows', '1000,x'], /--history-rows must be an integer/],
    [['--history-repeats', '0'], /--history-repeats must be an integer from 1 to 50/],
  ])('refuses history flags %j with a UsageError', (argv, message) => {
    const act = () => parseBenchArgs(argv);

    expect(act).toThrow(UsageError);
    expect(act).toThrow(message);
  });

  it('answers --help and -h with undefined', () => {
    expect(parseBenchArgs(['--help'])).toBeUndefined();
    expect(parseBenchArgs(['-h'])).toBeUndefined();
  });

  it('makes --burst its own mode: the storm and the emulator depth', () => {
    const options = parsed(['--burst', '40']);

    expect(options.burstRuns).toBe(40);
    expect(options.burstRecordsPerRun).toBe(500);
    expect(options.only).toEqual(['burst', 'depth']);
  });

  it('lets --only override the burst mode', () => {
    const options = parsed(['--burst', '5', '--only', 'burst']);

    expect(options.only).toEqual(['burst']);
  });

  it('lists every flag with its default in the usage', () => {
    const text = usage();

    expect(text).toMatch(/--records <n>\s+records to push through the pipeline \(default 10000\)/);
    expect(text).toMatch(/--skip-metric-cost\s+leave out the metric-cost phase/);
    expect(text).toMatch(
      /--only <phase,\.\.\.>\s+run only these phases: burst, capacity, pipeline, api, window-sweep, depth, metric-cost,/,
    );
    expect(text).toMatch(
      /--api-records <n>\s+records \(a truth and a prediction each\) sent through the HTTP API, api phase \(default 3000\)/,
    );
    expect(text).toMatch(/--skip-api\s+leave out the api phase/);
    expect(text).toMatch(/--window-sweep <s,\.\.\.>\s+the pipeline again at each of these batching windows/);
    expect(text).toMatch(/--history-rows <n,\.\.\.>\s+the history phase's sizes in rows, ascending \(default 1000000,10000000;/);
    expect(text).toMatch(
      /--history-repeats <n>\s+cold starts \(fresh children\) per history, history phase \(median taken\) \(default 5\)/,
    );
    expect(text).toMatch(/--skip-history\s+leave out the history phase/);
  });
});

describe('the feature cost flags', () => {
  it('takes pairs and a label lag, with five pairs and 1,000 predictions waiting by default', () => {
    expect(DEFAULTS).toMatchObject({ featureCostPairs: 5, featureLabelLag: 10 });
    expect(parsed(['--feature-cost-pairs', '7', '--feature-label-lag', '0'])).toMatchObject({ featureCostPairs: 7, featureLabelLag: 0 });
    expect(() => parseBenchArgs(['--feature-cost-pairs', '0'])).toThrow(UsageError);
    expect(skipReason(parsed(['--only', 'feature-cost']), 'feature-cost')).toBeUndefined();
    expect(skipReason(parsed(['--skip-feature-cost']), 'feature-cost')).toBe('--skip-feature-cost');
  });
});

describe('skipReason', () => {
  it('runs only the phases --only names', () => {
    const options = parsed(['--only', 'depth']);

    expect(skipReason(options, 'depth')).toBeUndefined();
    expect(skipReason(options, 'pipeline')).toBe('--only depth');
    expect(skipReason(options, 'capacity')).toBe('--only depth');
  });

  it('leaves out the phase a --skip flag names, and no other', () => {
    const options = parsed(['--skip-depth', '--depth=500', '--plain-depth', '0']);

    expect(skipReason(options, 'depth')).toBe('--skip-depth');
    expect(skipReason(options, 'pipeline')).toBeUndefined();
    expect(options).toMatchObject({ depthMessages: 500, plainDepthMessages: 0 });
  });

  it('skips the burst unless --burst asks for it', () => {
    expect(skipReason(DEFAULTS, 'burst')).toBe('no --burst');
    expect(skipReason(parsed(['--burst', '2']), 'burst')).toBeUndefined();
  });

  it('skips the window sweep unless --window-sweep asks for it; runs compaction and contention unless skipped', () => {
    expect(skipReason(DEFAULTS, 'window-sweep')).toBe('no --window-sweep');
    expect(skipReason(parsed(['--window-sweep', '1']), 'window-sweep')).toBeUndefined();
    expect(skipReason(DEFAULTS, 'compaction-cost')).toBeUndefined();
    expect(skipReason(parsed(['--skip-compaction-cost']), 'compaction-cost')).toBe('--skip-compaction-cost');
    expect(skipReason(parsed(['--skip-contention']), 'contention')).toBe('--skip-contention');
  });

  it('runs the history phase unless skipped, and alone with --only history', () => {
    expect(skipReason(DEFAULTS, 'history')).toBeUndefined();
    expect(skipReason(parsed(['--skip-history']), 'history')).toBe('--skip-history');
    expect(skipReason(parsed(['--only', 'history']), 'history')).toBeUndefined();
    expect(skipReason(parsed(['--only', 'history']), 'plot')).toBe('--only history');
  });
});

describe('batchSizeForWindow', () => {
  it('takes batches of at most 10 without a window, as AWS and settings.ts require', () => {
    expect(batchSizeForWindow(100, 0)).toBe(10);
    expect(batchSizeForWindow(5, 0)).toBe(5);
    expect(batchSizeForWindow(100, 1)).toBe(100);
  });
});

describe('plannedEmission', () => {
  it.each([
    [10_000, 50, { runs: 200, recordsPerRun: 50, records: 10_000 }],
    [120, 50, { runs: 3, recordsPerRun: 50, records: 150 }],
    [30, 50, { runs: 1, recordsPerRun: 30, records: 30 }],
  ])('emits %i records in whole runs of %i', (records, perRun, plan) => {
    expect(plannedEmission(records, perRun)).toEqual(plan);
  });
});
