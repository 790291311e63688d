import { request as httpRequest } from 'node:http';
import QuickChart from 'quickchart-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES, parseRenderRequest, RequestError } from '../../../../../infra/local/renderer/render.js';
import { type RunningRenderer, startRendererServer } from '../../../../../infra/local/renderer/server.js';
import { readPngHeader, topLeftPixel } from '../../../../helpers/png.js';

// The histogram the plot function draws: Cyrillic title and axis titles.
const histogramConfig = {
  type: 'bar',
  data: {
    labels: ['0–10', '10–20', '20–30', '30–40', '40–50', '50–60'],
    datasets: [
      {
        label: 'Частота',
        data: [12, 19, 9, 5, 2, 1],
        backgroundColor: 'rgba(54, 162, 235, 0.6)',
        borderColor: 'rgb(54, 162, 235)',
        borderWidth: 1,
        barPercentage: 1,
        categoryPercentage: 1,
      },
    ],
  },
  options: {
    plugins: {
      title: { display: true, text: 'Распределение абсолютных ошибок' },
      legend: { display: false },
    },
    scales: {
      x: { title: { display: true, text: 'Абсолютная ошибка' } },
      y: { title: { display: true, text: 'Частота' }, beginAtZero: true },
    },
  },
};

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/**
 * POSTs with node:http rather than fetch so a test can stream a body without a
 * Content-Length, and so the early answer to an oversized body is still read when
 * the server closes the connection before the upload ends.
 */
function postRaw(url: string, chunks: readonly Buffer[], headers: Record<string, string | number> = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = httpRequest(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers } }, (res) => {
      answered = true;
      const body: Buffer[] = [];
      res.on('data', (chunk: Buffer) => body.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(body) }));
      res.on('error', reject);
    });
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    writeChunks(req, chunks);
  });
}

function writeChunks(req: ReturnType<typeof httpRequest>, chunks: readonly Buffer[]): void {
  const [first, ...rest] = chunks;
  if (first === undefined || req.destroyed) {
    req.end();
    return;
  }
  if (req.write(first)) writeChunks(req, rest);
  else req.once('drain', () => writeChunks(req, rest));
}

async function postJson(url: string, body: unknown): Promise<Response> {
  return await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('parseRenderRequest', () => {
  it('applies QuickChart defaults when only the chart is given', () => {
    // Prepare
    const body = { chart: histogramConfig };

    // Act
    const request = parseRenderRequest(body);

    // Assess
    expect(request).toMatchObject({ width: 500, height: 300, devicePixelRatio: 2, format: 'png', backgroundColor: '#ffffff' });
    expect(request.chart.type).toBe('bar');
  });

  it('reads the chart from a JSON string, a JSON5 string and an object alike', () => {
    // Prepare
    const json5 = "{type:'bar',data:{labels:['a','b'],datasets:[{label:'Частота',data:[1,2],}]},}";

    // Act
    const fromJson = parseRenderRequest({ chart: JSON.stringify(histogramConfig) });
    const fromJson5 = parseRenderRequest({ chart: json5 });
    const fromObject = parseRenderRequest({ chart: histogramConfig });

    // Assess
    expect(fromJson.chart).toEqual(histogramConfig);
    expect(fromObject.chart).toEqual(histogramConfig);
    expect(fromJson5.chart.data.datasets[0]?.data).toEqual([1, 2]);
  });

  it('reads what QuickChart clients send: decimal strings, bkg, null or empty as absent, and a version it ignores', () => {
    // Prepare
    const body = {
      width: '640',
      height: null,
      devicePixelRatio: '1.5',
      bkg: 'rgb(0, 0, 255)',
      format: '',
      version: '2.9.4',
      chart: histogramConfig,
    };

    // Act
    const request = parseRenderRequest(body);

    // Assess
    expect(request).toMatchObject({ width: 640, height: 300, devicePixelRatio: 1.5, format: 'png', backgroundColor: 'rgb(0, 0, 255)' });
  });

  it('names every bad field, with the value it got, in one message', () => {
    // Prepare
    const body = { width: 0, format: 'svg', chart: { type: 'sankey' } };

    // Act
    const act = () => parseRenderRequest(body);

    // Assess
    expect(act).toThrow(RequestError);
    expect(act).toThrow(
      'width: must be whole pixels from 1 to 4000 (got 0); format: is not supported; only "png" is (got "svg"); ' +
        'chart.type: must be a Chart.js chart type: bar, bubble, doughnut, line, pie, polarArea, radar, scatter (got "sankey")',
    );
  });

  it('refuses a prototype key anywhere in the config', () => {
    // Prepare
    const chart = '{"type":"bar","options":{"__proto__":{"polluted":true}}}';

    // Act
    const act = () => parseRenderRequest({ chart });

    // Assess
    expect(act).toThrow('chart.options.__proto__: is a forbidden key (it reaches Object.prototype)');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses Chart.js 2 option names instead of drawing a chart without its titles', () => {
    // Prepare
    const chart = { type: 'bar', options: { scales: { xAxes: [{ scaleLabel: { display: true } }] } } };

    // Act
    const act = () => parseRenderRequest({ chart });

    // Assess
    expect(act).toThrow(
      /^chart\.options\.scales\.xAxes: is a Chart\.js 2 option; this renderer draws Chart\.js 4\.\d+\.\d+, use options\.scales\.x$/,
    );
  });

  it('refuses a backgroundColor the canvas cannot parse', () => {
    // Prepare
    const body = { chart: histogramConfig, backgroundColor: 'not-a-colour' };

    // Act
    const act = () => parseRenderRequest(body);

    // Assess
    expect(act).toThrow('backgroundColor: is not a CSS color (got "not-a-colour")');
  });

  it('refuses a config nested deeper than Chart.js can walk', () => {
    // Prepare: Chart.js would overflow its stack on this and answer a 500
    const chart = `{type:'bar',data:{labels:${'['.repeat(10_000)}${']'.repeat(10_000)}}}`;

    // Act
    const act = () => parseRenderRequest({ chart });

    // Assess
    expect(act).toThrow(/^chart\.data\.labels(\[0\])+: is nested deeper than 64 levels$/);
  });

  it('leaves an object config of the caller untouched', () => {
    // Prepare
    const chart = structuredClone(histogramConfig);

    // Act
    const request = parseRenderRequest({ chart });

    // Assess
    expect(request.chart).not.toBe(chart);
    expect(request.chart.data.datasets[0]?.data).not.toBe(chart.data.datasets[0]?.data);
  });
});

describe('renderer server over HTTP', () => {
  let renderer: RunningRenderer;
  const loggedErrors: string[] = [];

  beforeAll(async () => {
    renderer = await startRendererServer({ port: 0, logError: (line) => loggedErrors.push(line) });
  });

  afterAll(async () => {
    await renderer?.close();
  });

  async function expectHealthy(): Promise<void> {
    const response = await fetch(`${renderer.url}/healthcheck`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ success: true, version: expect.any(String) });
  }

  it('binds 127.0.0.1 by default', () => {
    // Prepare, Act: the server started in beforeAll without a host

    // Assess
    expect(renderer.host).toBe('127.0.0.1');
    expect(renderer.url).toBe(`http://127.0.0.1:${renderer.port}`);
  });

  it('answers /healthcheck like QuickChart', async () => {
    // Prepare, Act, Assess
    await expectHealthy();
  });

  it('answers POST /chart with a PNG', async () => {
    // Prepare
    const body = { width: 300, height: 200, devicePixelRatio: 1, chart: histogramConfig };

    // Act
    const response = await postJson(`${renderer.url}/chart`, body);

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(readPngHeader(Buffer.from(await response.arrayBuffer()))).toMatchObject({ width: 300, height: 200 });
  });

  const badRequests: Array<[string, unknown, RegExp]> = [
    ['a body that is not JSON', '{"chart": ', /^request body is not valid JSON: /],
    ['a body that is not an object', [histogramConfig], /^request body: must be a JSON object$/],
    [
      'a chart that is neither JSON nor JSON5',
      { chart: '{type: bar' },
      /^chart: is not data \(functions and other JavaScript are not supported/,
    ],
    [
      'a chart text with function markers',
      { chart: "{type:'bar',options:{onClick:'__BEGINFUNCTION__function(){}__ENDFUNCTION__'}}" },
      /^chart\.options\.onClick: holds a function \(__BEGINFUNCTION__\); functions are not supported/,
    ],
    [
      'an object chart with a function marker in a value',
      { chart: { type: 'bar', data: { labels: ['__BEGINFUNCTION__x__ENDFUNCTION__'] } } },
      /^chart\.data\.labels\[0\]: holds a function/,
    ],
    ['a chart without a type', { chart: { data: { datasets: [] } } }, /^chart\.type: must be a Chart\.js chart type: bar, /],
    ['an unknown chart type', { chart: { type: 'sankey' } }, /^chart\.type: .* \(got "sankey"\)$/],
    [
      'an unknown dataset type',
      { chart: { type: 'bar', data: { datasets: [{ type: 'area' }] } } },
      /^chart\.data\.datasets\[0\]\.type: .* \(got "area"\)$/,
    ],
    ['datasets that are not an array', { chart: { type: 'bar', data: { datasets: {} } } }, /^chart\.data\.datasets: /],
    ['no chart at all', { width: 100 }, /^chart: is missing: send the Chart\.js config as "chart"$/],
    ['an absurd width', { width: 100_000, chart: histogramConfig }, /^width: must be whole pixels from 1 to 4000 \(got 100000\)$/],
    ['a negative height', { height: -5, chart: histogramConfig }, /^height: must be whole pixels from 1 to 4000 \(got -5\)$/],
    ['a fractional width', { width: 2.5, chart: histogramConfig }, /^width: must be whole pixels from 1 to 4000 \(got 2\.5\)$/],
    ['a width that is not a number', { width: 'wide', chart: histogramConfig }, /^width: must be a number \(got "wide"\)$/],
    [
      'a devicePixelRatio above 4',
      { devicePixelRatio: 10, chart: histogramConfig },
      /^devicePixelRatio: must be above 0 and at most 4 \(got 10\)$/,
    ],
    [
      'a devicePixelRatio of 0',
      { devicePixelRatio: 0, chart: histogramConfig },
      /^devicePixelRatio: must be above 0 and at most 4 \(got 0\)$/,
    ],
    [
      'too many pixels after devicePixelRatio',
      { width: 4000, height: 4000, devicePixelRatio: 2, chart: histogramConfig },
      /^request body: width 4000 x height 4000 at devicePixelRatio 2 makes a 8000x8000 px image; it must have 1 to 16000000 pixels$/,
    ],
    ['an unsupported format', { format: 'svg', chart: histogramConfig }, /^format: is not supported; only "png" is \(got "svg"\)$/],
  ];

  it.each(badRequests)('refuses %s with a 400 and a reason, and keeps serving', async (_name, body, reason) => {
    // Prepare
    const url = `${renderer.url}/chart`;

    // Act
    const response = await postJson(url, body);

    // Assess
    expect(response.status).toBe(400);
    const payload = (await response.json()) as { error: string };
    expect(payload.error).toMatch(reason);
    expect(response.headers.get('x-quickchart-error')).toBe(payload.error);
    await expectHealthy();
  });

  it('cuts off a streamed body over the size limit with 413, and keeps serving', async () => {
    // Prepare: 4 MiB in 64 KiB chunks, no Content-Length, so only counting can stop it
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const chunks = [Buffer.from('{"chart":"'), ...Array.from({ length: 64 }, () => chunk)];

    // Act
    const response = await postRaw(`${renderer.url}/chart`, chunks, { 'Transfer-Encoding': 'chunked' });

    // Assess
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body.toString('utf8'))).toEqual({
      error: `request body is larger than ${MAX_BODY_BYTES} bytes`,
    });
    await expectHealthy();
  });

  it('refuses a declared Content-Length over the limit before reading the body', async () => {
    // Prepare
    const body = Buffer.alloc(MAX_BODY_BYTES + 1, ' ');

    // Act
    const response = await postRaw(`${renderer.url}/chart`, [body], { 'Content-Length': body.length });

    // Assess
    expect(response.status).toBe(413);
    await expectHealthy();
  });

  it('answers 404 for other paths and 405 for GET /chart', async () => {
    // Prepare
    const base = renderer.url;

    // Act
    const [missing, wrongMethod] = await Promise.all([fetch(`${base}/nope`), fetch(`${base}/chart`)]);

    // Assess
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: expect.stringContaining('/nope') });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
  });

  it('answers a chart Chart.js cannot draw with a 500 JSON, and keeps serving', async () => {
    // Prepare: valid data, but Chart.js throws on a scale type nobody registered
    const body = { chart: { type: 'bar', options: { scales: { x: { type: 'no-such-scale' } } } } };

    // Act
    const response = await postJson(`${renderer.url}/chart`, body);

    // Assess
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ error: expect.stringMatching(/render failed: .*no-such-scale/) });
    expect(loggedErrors.some((line) => line.includes('no-such-scale'))).toBe(true);
    await expectHealthy();
  });

  it.each([
    { form: 'a JSON string', config: JSON.stringify(histogramConfig), ratio: undefined, size: { width: 800, height: 400 } },
    { form: 'an object', config: histogramConfig, ratio: 2, size: { width: 1600, height: 800 } },
  ])('gives quickchart-js a PNG for a config set as $form', async ({ config, ratio, size }) => {
    // Prepare: the client sends devicePixelRatio 1 unless told otherwise
    const chart = new QuickChart()
      .setHost(`127.0.0.1:${renderer.port}`)
      .setScheme('http')
      .setConfig(config as Parameters<QuickChart['setConfig']>[0])
      .setWidth(800)
      .setHeight(400);
    if (ratio !== undefined) chart.setDevicePixelRatio(ratio);

    // Act
    const png = await chart.toBinary();

    // Assess
    expect(readPngHeader(png)).toMatchObject(size);
  });

  it('draws the request the pipeline sends: Chart.js 4, PNG, white, devicePixelRatio 1', async () => {
    // Prepare: quickchart-js set up as functions/commons/chart does it
    const chart = new QuickChart()
      .setHost(`127.0.0.1:${renderer.port}`)
      .setScheme('http')
      .setConfig(JSON.stringify(histogramConfig))
      .setWidth(800)
      .setHeight(500)
      .setDevicePixelRatio(1)
      .setBackgroundColor('white')
      .setVersion('4')
      .setFormat('png');

    // Act
    const png = await chart.toBinary();

    // Assess
    expect(readPngHeader(png)).toMatchObject({ width: 800, height: 500 });
    expect(topLeftPixel(png)).toEqual([255, 255, 255, 255]);
  });

  it('makes quickchart-js throw with the reason when the config holds a function', async () => {
    // Prepare: quickchart-js turns functions into bare JavaScript in the config text
    const config = {
      ...histogramConfig,
      options: { scales: { y: { ticks: { callback: (value: number) => `${value} шт.` } } } },
    };
    const chart = new QuickChart()
      .setHost(`127.0.0.1:${renderer.port}`)
      .setScheme('http')
      .setConfig(config as unknown as Parameters<QuickChart['setConfig']>[0]);

    // Act
    const result = chart.toBinary();

    // Assess
    await expect(result).rejects.toThrow(/status code 400[\s\S]*functions and other JavaScript are not supported/);
    await expectHealthy();
  });
});
