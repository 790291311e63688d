/**
 * The plot handler against a real moto_server: with no QUICKCHART_URL (as deployed by
 * default) it draws the histogram in the function, and opens no connection but to S3;
 * with one set, it posts the chart to that server and stores the PNG it answers.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { createCanvas } from '@napi-rs/canvas';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CHART_TEXT } from '../../../functions/commons/chart/histogramChart.js';
import { formatMetricRow, metricRow } from '../../../functions/commons/logs/rowFormat.js';
import { MetricsPublisher } from '../../../functions/commons/metrics/metricsPublisher.js';
import { BUCKET_KEYS } from '../../../functions/commons/storage/bucketKeys.js';
import type { PlotResult } from '../../../functions/plot.js';
import { handlerEnv, type LocalCloud, startLocalCloud } from '../../helpers/localCloud.js';
import { readPngHeader, topLeftPixel } from '../../helpers/png.js';

let cloud: LocalCloud;
let bucketCount = 0;
let bucket: string;
let logsDir: string;

beforeAll(async () => {
  cloud = await startLocalCloud();
});

afterAll(async () => {
  await cloud?.stop();
});

afterEach(() => {
  delete process.env.QUICKCHART_URL;
  vi.restoreAllMocks();
});

/**
 * Forty rows' histogram.json in a bucket of the case's own, published as maintain
 * publishes it, and the handler loaded for it with QUICKCHART_URL as given.
 */
async function plotWith(quickchartUrl: string | undefined): Promise<() => Promise<PlotResult>> {
  bucket = `plot-test-${++bucketCount}`;
  await cloud.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const rows = Array.from({ length: 40 }, (_, i) => formatMetricRow(metricRow(`p-${i}`, 100 + i, 100 + ((i * 7) % 23))));
  const publisher = new MetricsPublisher({ s3: cloud.s3, bucket, logsDir: undefined });
  await publisher.load();
  publisher.added(
    'metric_log',
    rows.map((line) => ({ line, notes: { model: undefined, at: Date.now() } })),
  );
  await publisher.publish(Date.now(), { pending: 0, pendingPredictions: 0, deadLetters: null });
  logsDir = await mkdtemp(join(tmpdir(), 'ml-monitor-plot-'));
  handlerEnv({ ...cloud, bucket }, logsDir);
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  if (quickchartUrl === undefined) delete process.env.QUICKCHART_URL;
  else process.env.QUICKCHART_URL = quickchartUrl;
  vi.resetModules();
  return (await import('../../../functions/plot.js')).handler;
}

async function storedPng(): Promise<Buffer> {
  const object = await cloud.s3.send(new GetObjectCommand({ Bucket: bucket, Key: BUCKET_KEYS.errorPlot }));
  return Buffer.from(await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
}

/** host:port of every TCP connection this process starts from now on (HTTP, HTTPS and fetch all go through Socket#connect). */
function watchConnections(): () => string[] {
  const connect = vi.spyOn(Socket.prototype, 'connect');
  return () =>
    connect.mock.calls.map(([first]) => {
      // net.connect hands its normalized arguments over as one array: [options, callback].
      const options = (Array.isArray(first) ? first[0] : first) as { host?: string; port?: number };
      return `${options.host ?? 'localhost'}:${options.port}`;
    });
}

describe('plot with no QUICKCHART_URL', () => {
  it('draws the histogram in the function: a PNG in S3 and logs/, and no connection but to S3', async () => {
    // Prepare
    const plot = await plotWith(undefined);
    const connections = watchConnections();

    // Act
    const result = await plot();

    // Assess
    expect(result).toEqual({ plotted: true, rows: 40 });
    const png = await storedPng();
    expect(readPngHeader(png)).toMatchObject({ width: 800, height: 500 });
    expect(topLeftPixel(png)).toEqual([255, 255, 255, 255]);
    // Titles, axes and bars, not an empty canvas (which compresses to a few KB).
    expect(png.length).toBeGreaterThan(15_000);
    expect(await readFile(join(logsDir, BUCKET_KEYS.errorPlot))).toEqual(png);
    const motoAddress = new URL(cloud.moto.url);
    expect(connections().length).toBeGreaterThan(0);
    expect(new Set(connections())).toEqual(new Set([`${motoAddress.hostname}:${motoAddress.port}`]));
  });
});

describe('plot with QUICKCHART_URL set', () => {
  let server: Server;
  const posted: { path: string; body: Record<string, unknown> }[] = [];
  let answer: Buffer;

  beforeAll(async () => {
    answer = await createCanvas(3, 2).encode('png');
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        posted.push({ path: req.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        res.writeHead(200, { 'Content-Type': 'image/png' }).end(answer);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
  });

  it('posts the chart to that server and stores the PNG it answers', async () => {
    // Prepare
    const { port } = server.address() as AddressInfo;
    const plot = await plotWith(`http://127.0.0.1:${port}`);

    // Act
    const result = await plot();

    // Assess
    expect(result).toEqual({ plotted: true, rows: 40 });
    expect(posted).toHaveLength(1);
    expect(posted[0]?.path).toBe('/chart');
    expect(posted[0]?.body).toMatchObject({ width: 800, height: 500, format: 'png', version: '4' });
    expect(JSON.parse(posted[0]?.body.chart as string).options.plugins.title.text).toBe(CHART_TEXT.title);
    expect(await storedPng()).toEqual(answer);
  });
});
