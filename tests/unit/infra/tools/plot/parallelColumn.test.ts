/** A large log read in two stretches, the second by a worker running the CLI's bundle: the same column as one pass. */
import { writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatedRows } from '../../../../../bench/plotCli.js';
import { METRIC_LOG_HEADER } from '../../../../../functions/commons/logs/rowFormat.js';
import { seededRandom } from '../../../../../functions/commons/seededRandom.js';
import { PROJECT_DIR } from '../../../../../infra/local/toolbox/localDefaults.js';
import { joinParts, lineStartAfter, readErrorColumn, readErrorColumnRange } from '../../../../../infra/tools/plot/errorColumn.js';
import { startReadingErrorColumn } from '../../../../../infra/tools/plot/parallelColumn.js';

const require = createRequire(__filename);
const launcher = require('../../../../../infra/tools/launch.cjs') as {
  buildBundle(entry: string, cacheDir: string): Promise<string>;
  cacheDirOf(entry: string, cacheRoot: string): string;
};

/** Two threads whatever the file and the machine. */
const EVERY_FILE = { minBytes: 0, coreIsIdle: () => true };

/** Bad lines on both sides of the middle, and a last line cut short. */
function logWithBadLines(): string {
  const rows = generatedRows(0, 4_000, seededRandom(5)).split('\n');
  rows.splice(10, 0, 'a,1,2,oops');
  rows.splice(2_000, 0, '', 'b,1,2', 'c,1,2,3,4');
  rows.splice(3_500, 0, 'd,1,2,nope');
  return `${METRIC_LOG_HEADER}\r\n${rows.join('\n').trimEnd()}\ne,1.0,2`;
}

describe('reading a log in two stretches', () => {
  let dir: string;
  let path: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ml-monitor-plot-parts-'));
    path = join(dir, 'metric_log.csv');
    writeFileSync(path, logWithBadLines());
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('finds where the next line starts', () => {
    writeFileSync(join(dir, 'lines.csv'), 'ab\ncd\n\nef');

    expect([0, 1, 2, 3, 4, 6, 7, 8].map((offset) => lineStartAfter(join(dir, 'lines.csv'), offset))).toEqual([3, 3, 3, 6, 6, 7, 9, 9]);
  });

  it.each([1, 1_000, 150_000, 200_000])('joins the stretches split near byte %i into what one pass reads', (offset) => {
    const boundary = lineStartAfter(path, offset);

    const joined = joinParts(readErrorColumnRange(path, 0, boundary), readErrorColumnRange(path, boundary));

    const whole = readErrorColumn(path);
    expect([...joined.values]).toEqual([...whole.values]);
    expect({ rejected: joined.rejected, count: joined.rejectedCount }).toEqual({ rejected: whole.rejected, count: whole.rejectedCount });
    expect(whole.rejectedCount).toBe(5);
  });

  describe('with a worker running the bundle', () => {
    let bundle: string;
    beforeAll(async () => {
      // Under the project's node_modules, as the real cache: the bundle finds its packages from there.
      const root = join(PROJECT_DIR, 'node_modules/.cache/ml-monitor');
      await mkdir(root, { recursive: true });
      bundle = await launcher.buildBundle(
        'infra/tools/plot/cli.ts',
        launcher.cacheDirOf('infra/tools/plot/cli.ts', await mkdtemp(join(root, 'plot-test-'))),
      );
    });
    afterAll(() => rm(dirname(dirname(bundle)), { recursive: true, force: true }));

    it('reads the same column as one pass', async () => {
      const column = await startReadingErrorColumn(path, bundle, EVERY_FILE);

      const whole = readErrorColumn(path);
      expect([...column.values]).toEqual([...whole.values]);
      expect({ rejected: column.rejected, count: column.rejectedCount }).toEqual({ rejected: whole.rejected, count: whole.rejectedCount });
    });

    it('reads the rest in this thread when the worker fails', async () => {
      const column = await startReadingErrorColumn(path, join(dir, 'no-bundle.cjs'), EVERY_FILE);

      expect([...column.values]).toEqual([...readErrorColumn(path).values]);
    });
  });
});
