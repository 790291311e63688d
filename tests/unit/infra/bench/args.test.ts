/** infra/bench/args.ts: `npm run bench` flags through util.parseArgs. */
import { describe, expect, it } from 'vitest';
import {
  type BenchOptions,
  DEFAULTS,
  parseBenchArgs,
  plannedEmission,
  skipReason,
  UsageError,
  usage,
} from '../../../../infra/bench/args.js';

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
    expect(text).toMatch(/--only <phase,\.\.\.>\s+run only these phases: burst, capacity, pipeline, depth, metric-cost, bundles, plot/);
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
