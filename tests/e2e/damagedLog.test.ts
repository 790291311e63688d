/**
 * A damaged logs/metric_log.csv is never trusted blindly nor frozen: the whole stack
 * started on a damaged copy (a torn last line, a garbage line in the middle, the header
 * deleted) restores every good row, moves the rest aside with its line number, says so
 * in one line, and every figure (metrics.json, the histogram, the first look's count)
 * counts every good row; the copy goes on being appended to.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOGS } from '../../functions/commons/logs/logFiles.js';
import { formatMetricRow, metricRow, parseMetricLog } from '../../functions/commons/logs/rowFormat.js';
import { localS3 } from '../../infra/local/cloud/localClients.js';
import { BUCKET } from '../../infra/local/toolbox/localDefaults.js';
import { bucketLogText } from '../helpers/logs.js';
import { privateBuildFolder, removeBuildFolder } from '../helpers/serverlessConfig.js';
import { eventually, startTestStack } from '../helpers/stack.js';

const buildFolder = privateBuildFolder();
const folders: string[] = [];

afterAll(async () => {
  removeBuildFolder(buildFolder);
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});

/** A log as a user's earlier runs left it: 1,000 good rows. */
const GOOD_ROWS = Array.from({ length: 1_000 }, (_, i) => formatMetricRow(metricRow(`earlier-${i}`, 100 + (i % 50), 90 + (i % 70))));
const header = LOGS.metric_log.header;

describe('npm start on a damaged logs/metric_log.csv', () => {
  it.each([
    { damage: 'a torn last line', copy: `${header}\n${GOOD_ROWS.join('\n')}\nearlier-1000,151.0,14`, badLine: 1_002 },
    {
      damage: 'a garbage line in the middle',
      copy: `${header}\n${[...GOOD_ROWS.slice(0, 500), 'garbage ☠ line', ...GOOD_ROWS.slice(500)].join('\n')}\n`,
      badLine: 502,
    },
    { damage: 'the header deleted', copy: `${GOOD_ROWS.join('\n')}\n`, badLine: undefined },
  ])(
    'restores every good row of a copy with $damage, sets the rest aside and counts every row in every figure',
    async ({ copy, badLine }) => {
      const logsDir = await mkdtemp(join(tmpdir(), 'ml-monitor-damaged-'));
      folders.push(logsDir);
      await writeFile(join(logsDir, LOGS.metric_log.key), copy);
      const stack = await startTestStack({ RECORDS_PER_RUN: '7' }, { logsDir, buildFolder });
      const s3 = localS3(stack.awsEndpoint);
      try {
        const { emitted } = await stack.invoke<{ emitted: string[] }>('features');
        const maintained = await eventually('this start’s rows in the log', async () => {
          const result = await stack.invoke<{ rows: number; copy: string }>('maintain');
          return result.rows === GOOD_ROWS.length + emitted.length ? result : undefined;
        });
        const plotted = await stack.invoke<{ rows: number }>('plot');

        const local = await readFile(join(logsDir, LOGS.metric_log.key), 'utf8');
        const ids = parseMetricLog(local).map((row) => row.id);
        expect(ids).toEqual([...GOOD_ROWS.map((row) => row.split(',')[0]), ...ids.slice(GOOD_ROWS.length)]);
        expect(new Set(ids.slice(GOOD_ROWS.length))).toEqual(new Set(emitted));
        expect(await bucketLogText(s3, BUCKET)).toBe(local);
        expect(maintained.copy).toBe('appended');
        expect(plotted.rows).toBe(ids.length);
        const metrics = JSON.parse(await readFile(join(logsDir, 'metrics.json'), 'utf8')) as { totals: { n: number } };
        expect(metrics.totals.n).toBe(ids.length);
        expect(stack.output()).not.toMatch(/not a metric_log row|\bERROR\b/);
        if (badLine === undefined) {
          expect(stack.output()).toMatch(
            new RegExp(`${logsDir}/metric_log\\.csv was damaged: its header put back; its good rows are restored`),
          );
        } else {
          expect(stack.output()).toMatch(
            new RegExp(
              `${logsDir}/metric_log\\.csv was damaged: 1 line\\(s\\) that are no rows moved aside to ${logsDir}/metric_log\\.rejected\\.csv \\(line ${badLine.toLocaleString('en-US')}: `,
            ),
          );
          const rejected = (await readFile(join(logsDir, 'metric_log.rejected.csv'), 'utf8')).trim().split('\n');
          expect(rejected).toHaveLength(2);
          expect(rejected[1]).toMatch(new RegExp(`^\\S+,metric_log\\.csv,${badLine},`));
        }
        expect(stack.output()).toMatch(/restored 1,000 rows of metric_log\.csv from .* into s3:\/\/ml-monitor-dev/);
      } finally {
        s3.destroy();
        await stack.stop();
      }
    },
    300_000,
  );
});
