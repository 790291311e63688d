/** bench/plotCli.ts: the generated log, how `npm run plot` is started, its --stats line. */
import { describe, expect, it } from 'vitest';
import { generatedRows, parseStatsLine, plotCommand } from '../../../bench/plotCli.js';
import { METRIC_LOG_HEADER, parseMetricLog } from '../../../functions/commons/logs/rowFormat.js';
import { seededRandom } from '../../../functions/commons/seededRandom.js';

describe('generatedRows', () => {
  it('gives the same valid metric_log lines from the same seed', () => {
    const first = generatedRows(0, 50, seededRandom(42));

    const again = generatedRows(0, 50, seededRandom(42));

    expect(again).toBe(first);
    expect(parseMetricLog(`${METRIC_LOG_HEADER}\n${first}`)).toHaveLength(50);
  });
});

describe('plotCommand', () => {
  it("runs the CLI as package.json's script does (launcher, node flags), with this node", () => {
    const packageJson = JSON.stringify({
      scripts: { plot: 'node --max-semi-space-size=1 infra/tools/launch.cjs infra/tools/plot/cli.ts' },
    });

    expect(plotCommand(packageJson, '/p/infra/tools/plot/cli.ts')).toEqual({
      command: process.execPath,
      args: ['--max-semi-space-size=1', 'infra/tools/launch.cjs', '/p/infra/tools/plot/cli.ts'],
    });
  });

  it.each([{ scripts: {} }, { scripts: { plot: 'tsx infra/tools/plot/cli.ts | tee x' } }])('falls back to tsx for %j', (pkg) => {
    expect(plotCommand(JSON.stringify(pkg), '/p/cli.ts')).toEqual({ command: process.execPath, args: ['--import', 'tsx', '/p/cli.ts'] });
  });
});

describe('parseStatsLine', () => {
  it('finds the --stats JSON line among other output', () => {
    const stdout = 'out.png: histogram of 3 absolute errors (MAE 1.167)\n{"rows":3,"wall_ms":120,"peak_rss_mb":88}\n';

    expect(parseStatsLine(stdout)).toEqual({ rows: 3, wall_ms: 120, peak_rss_mb: 88 });
  });

  it('is undefined without one', () => {
    expect(parseStatsLine('nothing here\n{"rows":3}')).toBeUndefined();
  });
});
