/**
 * End to end: the real stack (moto_server, the embedded renderer, sls offline start
 * with our SQS event source) on free ports. features is invoked through the Lambda
 * endpoint, as `aws lambda invoke` would, and the rows must appear in S3 and logs/.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOGS } from '../../functions/commons/logs/logFiles.js';
import { type MetricRow, parseMetricLog } from '../../functions/commons/logs/rowFormat.js';
import { parseDataset } from '../../functions/commons/model/dataset.js';
import { assertModel, modelVersion, predict } from '../../functions/commons/model/linearModel.js';
import modelArtefact from '../../functions/commons/model/model.json';
import { BUCKET_KEYS } from '../../functions/commons/storage/bucketKeys.js';
import { localS3 } from '../../infra/local/cloud/localClients.js';
import { BUCKET } from '../../infra/local/toolbox/localDefaults.js';
import { DATA_FILE } from '../../infra/tools/model/train.js';
import { bucketLogText } from '../helpers/logs.js';
import { finalRows, stackForFile, type TestStack, waitForRows } from '../helpers/stack.js';

const dataset = parseDataset(readFileSync(DATA_FILE, 'utf8'));
const model = assertModel(modelArtefact);
const theStack = stackForFile();
let stack: TestStack;
let s3: ReturnType<typeof localS3>;

beforeAll(() => {
  stack = theStack();
  s3 = localS3(stack.awsEndpoint);
});

afterAll(() => s3?.destroy());

/** A row is right if some data row has its y_true and the model predicts its y_pred from it. */
function matchesADataRow(row: MetricRow): boolean {
  return dataset.some((data) => data.target === row.yTrue && predict(model, data.features) === row.yPred);
}

describe('the pipeline end to end', () => {
  it('plots nothing, and says so, before there are rows', async () => {
    const result = await stack.invoke<{ plotted: boolean }>('plot');

    expect(result.plotted).toBe(false);
    expect(stack.output()).toContain('Nothing to plot yet');
  });

  it('turns one features run into one correct row per emitted id, in S3 and in logs/', async () => {
    const { emitted } = await stack.invoke<{ emitted: string[] }>('features');

    // maintain brings metric_log.csv up to date (every minute; here, now); then nothing is left to deliver.
    const rows = await finalRows(stack, emitted);

    expect(emitted).toHaveLength(10);
    expect(rows).toHaveLength(10);
    expect(new Set(rows.map((row) => row.id)).size).toBe(10);
    for (const row of rows) {
      expect(matchesADataRow(row)).toBe(true);
      expect(row.absoluteError).toBe(Math.abs(row.yTrue - row.yPred));
    }
    const s3Text = await bucketLogText(s3, BUCKET);
    expect(await readFile(join(stack.logsDir, LOGS.metric_log.key), 'utf8')).toBe(s3Text);
    // metrics.json follows the log, with the predictor's model version.
    const metrics = JSON.parse(await readFile(join(stack.logsDir, BUCKET_KEYS.metrics), 'utf8'));
    const mae = rows.reduce((sum, row) => sum + row.absoluteError, 0) / rows.length;
    expect(metrics.totals.n).toBe(10);
    expect(Math.abs(metrics.totals.mae / mae - 1)).toBeLessThan(1e-9);
    expect(Object.keys(metrics.models)).toEqual([modelVersion(model)]);
    expect(metrics).toMatchObject({ label_coverage: 1, orphans: 0, pending: 0, dead_letters: 0 });
  }, 120_000);

  it('renders the histogram of every row of metric_log.csv as a PNG to S3 and logs/', async () => {
    const { emitted } = await stack.invoke<{ emitted: string[] }>('features');
    await waitForRows(stack, emitted);

    // maintain has plot draw after each append, so this invoke finds histogram.json
    // already drawn (plotted false) or draws it; either way it counts every row.
    const result = await stack.invoke<{ plotted: boolean; rows: number }>('plot');

    const logged = parseMetricLog(await bucketLogText(s3, BUCKET));
    expect(result.rows).toBe(logged.length);
    const local = await readFile(join(stack.logsDir, BUCKET_KEYS.errorPlot));
    const stored = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: BUCKET_KEYS.errorPlot }));
    const remote = Buffer.from((await stored.Body?.transformToByteArray()) ?? []);
    expect(remote.equals(local)).toBe(true);
    expect(local.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(local.readUInt32BE(16)).toBe(800);
    expect(local.readUInt32BE(20)).toBe(500);
  }, 120_000);
});
