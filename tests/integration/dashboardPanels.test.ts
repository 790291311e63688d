/**
 * The dashboard's panels in a real browser (headless Chromium through playwright-core)
 * against documents this test writes: the page and its routes are the dashboard's own
 * (answerRoute), served from a fake bucket, so every figure can be checked against a
 * known document, whatever the pipeline computes. Estimated against realised MAE, MAE
 * per model version, the scatter by version, R² and MAPE, the drift panel, the segments
 * panel and the time range picker each show what the JSON holds, each chart is drawn,
 * nothing is logged as an error, at 1280 and 375 px; a missing drift.json and an older
 * metrics.json (without the estimates or segments) are shown without an error. The whole stack's page: tests/e2e/dashboard.test.ts.
 */
import { mkdtemp } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_SEGMENTS } from '../../functions/commons/dashboard/dashboard.client.js';
import { answerRoute, type BucketReader } from '../../functions/commons/dashboard/routes.js';
import { BUCKET_KEYS } from '../../functions/commons/storage/bucketKeys.js';
import { browserMissing, collectErrors, horizontalOverflow, inkedPixels, launchBrowser, waitForChartsToFit } from '../helpers/browser.js';

const missing = browserMissing();
if (missing !== undefined) console.warn(missing);

const UPDATED = Date.parse('2026-11-27T12:00:00.000Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const iso = (ms: number) => new Date(ms).toISOString();
/** A feature name and a segment value no page should ever parse as HTML. */
const HOSTILE = '<img src=x onerror="globalThis.pwned=1">';

interface SummaryFixture {
  n: number;
  mae: number | null;
  rmse: number | null;
  bias: number;
  mape: number | null;
  mape_skipped: number;
  r2: number | null;
  abs_error_p90: number;
  estimated_mae?: number | null;
  estimated_n?: number;
  unlabelled?: number;
}

function summary(n: number, mae: number | null, extra: Partial<SummaryFixture> = {}): SummaryFixture {
  return {
    n,
    mae,
    rmse: mae === null ? null : mae * 1.25,
    bias: 0.5,
    mape: 0.123,
    mape_skipped: 0,
    r2: 0.4321,
    abs_error_p90: 9,
    ...extra,
  };
}

/** Minutes `ago` before UPDATED, each with its MAE and estimate; n 0 where only the estimate is known. */
function minutes(list: [ago: number, n: number, mae: number | null, estimated: number][]) {
  return list.map(([ago, n, mae, estimated]) => ({
    start: iso(UPDATED - ago * MINUTE),
    ...summary(n, mae, { estimated_mae: estimated, estimated_n: n + 2, unlabelled: 2 }),
  }));
}

function metricsDocument() {
  return {
    updated_at: iso(UPDATED),
    totals: summary(1_234, 41.2345, { estimated_mae: 39.876, estimated_n: 1_300, unlabelled: 66, r2: 0.4567, mape: 0.3712 }),
    // In 1 h: the last three; in 6 h also 3 h ago; in 24 h also 20 h ago.
    minutes: minutes([
      [20 * 60, 5, 30, 31],
      [3 * 60, 6, 35, 33],
      [3, 7, 40, 41],
      [2, 0, null, 44.5],
      [1, 8, 42, 43],
    ]),
    // In 7 d: the last two; in 30 d also 10 days ago.
    hours: [
      { start: iso(UPDATED - 10 * 24 * HOUR), ...summary(50, 20, { estimated_mae: 21, estimated_n: 50, unlabelled: 0 }) },
      { start: iso(UPDATED - 2 * 24 * HOUR), ...summary(60, 25, { estimated_mae: 24, estimated_n: 61, unlabelled: 1 }) },
      { start: iso(UPDATED - HOUR), ...summary(70, 40, { estimated_mae: 42, estimated_n: 80, unlabelled: 10 }) },
    ],
    models: {
      'ols-3f2a9c1d': summary(1_200, 41, { estimated_mae: 40.5, r2: 0.5, mape: 0.25 }),
      'api-v1': summary(34, 50.555, { estimated_mae: null, r2: null, mape: 0.4 }),
    },
    models_minutes: {
      'ols-3f2a9c1d': minutes([
        [3, 5, 39, 40],
        [1, 6, 41, 42],
      ]),
      'api-v1': minutes([[2, 2, 55, 50]]),
    },
    models_hours: {
      'ols-3f2a9c1d': [{ start: iso(UPDATED - 2 * 24 * HOUR), ...summary(60, 25) }],
      'api-v1': [{ start: iso(UPDATED - HOUR), ...summary(4, 60) }],
    },
    // sex by its values (the hostile one has the highest MAE but too few rows to be the
    // worst; "unknown" only unlabelled rows), age cut at its quartiles.
    segments: {
      sex: {
        F: summary(600, 39, { estimated_mae: 38.5, estimated_n: 620, unlabelled: 20, r2: 0.41, mape: 0.3 }),
        M: summary(631, 43.5, { estimated_mae: 44, estimated_n: 673, unlabelled: 42, r2: 0.39, mape: 0.35 }),
        [HOSTILE]: summary(3, 70, { estimated_mae: null, estimated_n: 0, unlabelled: 0, r2: null }),
        unknown: summary(0, null, { estimated_mae: 50, estimated_n: 4, unlabelled: 4, r2: null, mape: null }),
      },
      'age:4': {
        Q1: summary(308, 30.1, { estimated_mae: 31, estimated_n: 320, unlabelled: 12 }),
        Q2: summary(309, 35.55, { estimated_mae: 36, estimated_n: 325, unlabelled: 16 }),
        Q3: summary(308, 38.25, { estimated_mae: 37, estimated_n: 326, unlabelled: 18 }),
        Q4: summary(309, 61.2, { estimated_mae: 58.75, estimated_n: 329, unlabelled: 20, r2: 0.12 }),
      },
    },
    worst_segment: { by: 'age:4', segment: 'Q4', mae: 61.2, n: 309 },
    label_coverage: 0.95,
    orphans: 3,
    pending: 12,
    dead_letters: 0,
  };
}

type Figures = Record<'psi' | 'wasserstein' | 'ks_statistic' | 'ks_p_value', number | null>;

function feature(figures: Partial<Figures>, drifted: boolean, shift: number) {
  const none: Figures = { psi: null, wasserstein: null, ks_statistic: null, ks_p_value: null };
  return {
    ...none,
    ...figures,
    drifted,
    decile_edges: [1, 2, 3, 4, 5, 6, 7, 8, 9].map((edge) => edge * 1.5),
    reference_shares: Array(10).fill(0.1),
    current_shares: [0.1 + shift, 0.1 + shift, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1 - shift, 0.1 - shift],
  };
}

function driftDocument() {
  return {
    updated_at: iso(UPDATED),
    window: { from: iso(UPDATED - 15 * MINUTE), to: iso(UPDATED), minutes: 15 },
    method: 'auto',
    drift_share_threshold: 0.5,
    models: {
      'ols-3f2a9c1d': {
        reference_rows: 442,
        rows: 900,
        test: 'ks',
        threshold: 0.05,
        features: {
          bmi: feature({ ks_statistic: 0.31, ks_p_value: 0.000012345 }, true, 0.05),
          age: feature({ ks_statistic: 0.02, ks_p_value: 0.8123 }, false, 0.01),
          [HOSTILE]: feature({ ks_statistic: 0.04, ks_p_value: 0.3 }, false, 0.02),
        },
        prediction: feature({ ks_statistic: 0.03, ks_p_value: 0.6 }, false, 0.03),
        drifted_features: ['bmi'],
        drift_share: 1 / 3,
        dataset_drift: false,
      },
      'api-v1': {
        reference_rows: 100,
        rows: 30,
        test: 'psi',
        threshold: 0.1,
        features: { bmi: feature({ psi: 0.2567 }, true, 0.04) },
        drifted_features: ['bmi'],
        drift_share: 1,
        dataset_drift: true,
      },
    },
  };
}

const PIECE = 'metric_log/date=2026-11-27/hour=11/part-0000.csv';

function bucketObjects(): Record<string, string> {
  const rows = [
    ['a', 100, 110, 'ols-3f2a9c1d'],
    ['b', 150, 140, 'ols-3f2a9c1d'],
    ['c', 200, 260, 'api-v1'],
    ['d', 80, 90, ''],
  ] as const;
  const lines = rows.map(([id, yTrue, yPred, model]) => `${id},${yTrue},${yPred},${Math.abs(yTrue - yPred)},${model},,`);
  return {
    [BUCKET_KEYS.metrics]: JSON.stringify(metricsDocument()),
    [BUCKET_KEYS.drift]: JSON.stringify(driftDocument()),
    [BUCKET_KEYS.histogram]: JSON.stringify({
      updated_at: iso(UPDATED),
      rows: 20,
      edges: Array.from({ length: 21 }, (_, i) => i * 5),
      counts: Array(20).fill(1),
      mae: 41.2345,
      rmse: 51.5,
      abs_error_p90: 9,
    }),
    [BUCKET_KEYS.logHeads]: JSON.stringify({ version: 1, logs: { metric_log: { key: PIECE, lastSeq: 4, rows: 4 } } }),
    [PIECE]: `id,y_true,y_pred,absolute_error,model,predicted_at,labelled_at\n${lines.join('\n')}\n`,
  };
}

const two = (value: number | null | undefined) => (value === null || value === undefined ? '—' : value.toFixed(2));
const pct = (value: number | null) => (value === null ? '—' : `${(value * 100).toFixed(1)} %`);
const CHARTS = ['histogram', 'minutes', 'estimated', 'versions', 'scatter', 'distribution', 'segments'] as const;

/** Chart.js's data of the chart on `canvas`: its labels and each dataset's label and data. */
async function chartData(page: Page, canvas: string): Promise<{ labels: unknown[]; datasets: { label: string; data: unknown[] }[] }> {
  return await page.evaluate((id) => {
    const chart = (globalThis as any).Chart.getChart(id);
    return {
      labels: [...(chart.data.labels ?? [])],
      datasets: chart.data.datasets.map((set: any) => ({ label: set.label, data: [...set.data] })),
    };
  }, canvas);
}

async function cellsOf(page: Page, selector: string): Promise<string[][]> {
  return await page.$$eval(`${selector} tbody tr`, (rows) =>
    rows.map((row) => [...row.querySelectorAll('td')].map((cell) => cell.textContent ?? '')),
  );
}

describe.skipIf(missing !== undefined)('the dashboard panels in a browser, against written documents', () => {
  let objects: Record<string, string>;
  let server: Server;
  let address: string;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let shots: string;

  const bucket: BucketReader = {
    text: async (key) => objects[key],
    async tail(key) {
      const text = objects[key];
      return text === undefined ? undefined : { text, contentRange: undefined };
    },
  };

  /** Loads the page afresh (at `hash`) and waits for its first render. */
  async function open(hash = ''): Promise<void> {
    // Away first: from the page to itself with another hash would not load it again.
    await page.goto('about:blank');
    await page.goto(`${address}/${hash}`);
    await page.waitForFunction(() => (globalThis as any).document.body.dataset.updatedAt !== undefined, undefined, { timeout: 15_000 });
  }

  beforeAll(async () => {
    objects = bucketObjects();
    server = createServer((request, response) => {
      const file = (request.url ?? '/').split(/[?#]/)[0]?.slice(1) ?? '';
      answerRoute(decodeURIComponent(file), bucket).then(
        (answer) => {
          response.writeHead(answer.statusCode ?? 200, answer.headers as Record<string, string>);
          response.end(answer.body);
        },
        (error: Error) => {
          response.writeHead(500);
          response.end(error.message);
        },
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    shots = await mkdtemp(join(tmpdir(), 'ml-monitor-panels-'));
    address = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    errors = collectErrors(page);
    await open();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('shows R², MAPE, the estimated MAE and the unlabelled predictions as metrics.json has them, and per version', async () => {
    const metrics = metricsDocument();
    const shown = async (name: string) => await page.textContent(`[data-kpi="${name}"]`);

    expect(await shown('r2')).toBe(metrics.totals.r2?.toFixed(3));
    expect(await shown('mape')).toBe(pct(metrics.totals.mape));
    expect(await shown('estimated_mae')).toBe(two(metrics.totals.estimated_mae));
    expect(await shown('unlabelled')).toBe(String(metrics.totals.unlabelled));
    expect(await shown('mae')).toBe(two(metrics.totals.mae));
    expect(await cellsOf(page, '#models')).toEqual(
      Object.entries(metrics.models).map(([version, model]) => [
        version,
        String(model.n),
        two(model.mae),
        two(model.estimated_mae),
        two(model.rmse),
        model.r2 === null ? '—' : model.r2.toFixed(3),
        pct(model.mape),
        two(model.bias),
        two(model.abs_error_p90),
      ]),
    );
  });

  it('draws every chart, with the periods of the default range (6 h) and the scatter by version', async () => {
    const metrics = metricsDocument();
    const inSixHours = metrics.minutes.slice(1);

    for (const chart of CHARTS) {
      expect({ chart, inked: (await inkedPixels(page, `canvas[data-chart="${chart}"]`)) > 500 }).toEqual({ chart, inked: true });
    }
    expect((await chartData(page, 'estimated')).datasets).toEqual([
      { label: 'realised MAE', data: inSixHours.map((minute) => minute.mae) },
      { label: 'estimated MAE', data: inSixHours.map((minute) => minute.estimated_mae) },
    ]);
    expect((await chartData(page, 'minutes')).datasets[0]?.data).toEqual(inSixHours.filter((m) => m.n > 0).map((m) => m.mae));
    // Three minutes with rows of either version, each version null where it had none.
    expect((await chartData(page, 'versions')).datasets).toEqual([
      { label: 'ols-3f2a9c1d', data: [39, null, 41] },
      { label: 'api-v1', data: [null, 55, null] },
    ]);
    expect((await chartData(page, 'scatter')).datasets.map((set) => [set.label, set.data.length])).toEqual([
      ['ols-3f2a9c1d', 2],
      ['api-v1', 1],
      ['(no version)', 1],
      ['y = x', 2],
    ]);
  });

  it('redraws the charts over time for each range of the picker, minutes up to 24 h and hours beyond', async () => {
    const metrics = metricsDocument();
    const expected: Record<string, { mae: (number | null)[]; versions: number }> = {
      '1h': { mae: metrics.minutes.slice(2).map((m) => m.mae), versions: 2 },
      '24h': { mae: metrics.minutes.map((m) => m.mae), versions: 2 },
      '7d': { mae: metrics.hours.slice(1).map((h) => h.mae), versions: 2 },
      '30d': { mae: metrics.hours.map((h) => h.mae), versions: 2 },
    };

    for (const [range, { mae, versions }] of Object.entries(expected)) {
      await page.click(`[data-range="${range}"]`);
      expect({ range, pressed: await page.getAttribute(`[data-range="${range}"]`, 'aria-pressed') }).toEqual({ range, pressed: 'true' });
      expect({ range, mae: (await chartData(page, 'estimated')).datasets[0]?.data }).toEqual({ range, mae });
      expect({ range, versions: (await chartData(page, 'versions')).datasets.length }).toEqual({ range, versions });
      for (const chart of ['minutes', 'estimated', 'versions'])
        expect({ range, chart, inked: (await inkedPixels(page, `canvas[data-chart="${chart}"]`)) > 500 }).toEqual({
          range,
          chart,
          inked: true,
        });
    }
    expect(new URL(page.url()).hash).toBe('#range=30d');
    // Kept through a reload, from the address.
    await open('#range=7d');
    expect(await page.getAttribute('[data-range="7d"]', 'aria-pressed')).toBe('true');
    expect((await chartData(page, 'estimated')).datasets[1]?.data).toEqual(metrics.hours.slice(1).map((h) => h.estimated_mae));
  });

  it("shows each feature's figure against its threshold, and the chosen feature's distributions; names stay text", async () => {
    const drift = driftDocument();
    const model = drift.models['ols-3f2a9c1d'];
    const sig3 = (value: number) => String(Number(value.toPrecision(3)));

    expect(await page.$eval('#drift-version', (select: any) => select.value)).toBe('ols-3f2a9c1d');
    expect(await cellsOf(page, '#drift')).toEqual([
      ...Object.entries(model.features).map(([name, entry]) => [
        name,
        'KS p-value',
        sig3(entry.ks_p_value as number),
        '≤ 0.05',
        entry.drifted ? 'drifted' : 'ok',
      ]),
      ['prediction', 'KS p-value', sig3(model.prediction.ks_p_value as number), '≤ 0.05', 'ok'],
    ]);
    expect(await page.textContent('#drift-summary')).toMatch(
      /^1 of 3 features drifted \(share 33\.3 %, dataset drift at 50\.0 %\): no dataset drift; 900 rows/,
    );
    // The drifted feature is shown first; the hostile name is a row and an option as text, never an element.
    expect((await chartData(page, 'distribution')).datasets.map((set) => set.data)).toEqual([
      model.features.bmi.reference_shares,
      model.features.bmi.current_shares,
    ]);
    expect(await page.$$('#drift-panel img')).toHaveLength(0);
    expect(await page.evaluate(() => (globalThis as any).pwned)).toBeUndefined();

    await page.selectOption('#drift-feature', { label: HOSTILE });
    expect((await chartData(page, 'distribution')).datasets[1]?.data).toEqual(model.features[HOSTILE]?.current_shares);
    expect(await page.textContent('#distribution-note')).toContain(HOSTILE);

    await page.selectOption('#drift-version', 'api-v1');
    expect(await cellsOf(page, '#drift')).toEqual([['bmi', 'PSI', '0.257', '≥ 0.1', 'drifted']]);
    expect(await page.textContent('#drift-summary')).toMatch(/^1 of 1 features drifted .*: dataset drift; 30 rows/);
    expect(await inkedPixels(page, 'canvas[data-chart="distribution"]')).toBeGreaterThan(500);
  });

  it("shows the worst segment's rule, its segments by MAE with the worst named and marked, and each rule picked; values stay text", async () => {
    const metrics = metricsDocument();
    /** A rule's segments as the table should show them: highest MAE first, those without one last. */
    const expected = (rule: keyof typeof metrics.segments) =>
      Object.entries(metrics.segments[rule])
        .sort(([, a], [, b]) => (b.mae ?? -1) - (a.mae ?? -1))
        .map(([segment, figures]) => ({
          segment,
          mae: figures.mae,
          cells: [
            segment,
            String(figures.n),
            two(figures.mae),
            two(figures.estimated_mae),
            two(figures.rmse),
            figures.r2 === null ? '—' : figures.r2.toFixed(3),
            pct(figures.mape),
            String(figures.unlabelled),
          ],
        }));
    const marked = async () => await page.$$eval('#segments tr.worst', (rows) => rows.map((row) => (row as any).dataset.segment));

    expect(await page.textContent('#segments-summary')).toBe('worst segment: age:4 = Q4, MAE 61.20 over 309 rows');
    expect(await page.isVisible('#segments-rule')).toBe(true);
    expect(await page.$eval('#segments-rule', (select: any) => select.value)).toBe('age:4');
    expect(await cellsOf(page, '#segments')).toEqual(expected('age:4').map((row) => row.cells));
    expect(await marked()).toEqual(['Q4']);
    expect(await chartData(page, 'segments-chart')).toEqual({
      labels: ['Q4', 'Q3', 'Q2', 'Q1'],
      datasets: [{ label: 'MAE', data: expected('age:4').map((row) => row.mae) }],
    });
    expect(await inkedPixels(page, 'canvas[data-chart="segments"]')).toBeGreaterThan(500);

    await page.selectOption('#segments-rule', 'sex');
    const sex = expected('sex');
    expect(sex.map((row) => row.segment)).toEqual([HOSTILE, 'M', 'F', 'unknown']);
    expect(await cellsOf(page, '#segments')).toEqual(sex.map((row) => row.cells));
    // The worst segment is another rule's: still named above, no row of this one marked.
    expect(await page.textContent('#segments-summary')).toMatch(/^worst segment: age:4 = Q4/);
    expect(await marked()).toEqual([]);
    expect((await chartData(page, 'segments-chart')).datasets[0]?.data).toEqual(sex.map((row) => row.mae));
    // Cut in the table to keep the figures on screen; whole in its title.
    expect(await page.getAttribute('#segments tbody td:first-child', 'title')).toBe(HOSTILE);
    expect(await page.$$('#segments-panel img')).toHaveLength(0);
    expect(await page.evaluate(() => (globalThis as any).pwned)).toBeUndefined();
    expect(await inkedPixels(page, 'canvas[data-chart="segments"]')).toBeGreaterThan(500);
    // The choice is kept through a refresh (every 5 s), which builds the rows anew.
    await page.$eval('#segments tbody tr', (row: any) => {
      row.dataset.old = '';
    });
    await page.waitForFunction(() => (globalThis as any).document.querySelector('#segments tr[data-old]') === null, undefined, {
      timeout: 15_000,
    });
    expect(await page.$eval('#segments-rule', (select: any) => select.value)).toBe('sex');
    expect((await cellsOf(page, '#segments'))[0]?.[0]).toBe(HOSTILE);
  });

  it('is usable at 1280 and 375 px wide: nothing wider than the screen, every new panel visible and drawn', async () => {
    for (const width of [1280, 375]) {
      await page.setViewportSize({ width, height: 900 });
      await waitForChartsToFit(page, CHARTS);
      await page.screenshot({ path: join(shots, `panels-${width}.png`), fullPage: true });
      const overflow = await horizontalOverflow(page);
      expect({ width, overflow }).toEqual({ width, overflow: 0 });
      for (const selector of [
        '[data-kpi="r2"]',
        '[data-kpi="mape"]',
        '[data-range="30d"]',
        '#drift',
        '#drift-feature',
        '#segments',
        '#segments-rule',
      ])
        expect({ width, selector, visible: await page.isVisible(selector) }).toEqual({ width, selector, visible: true });
      for (const chart of CHARTS)
        expect({ width, chart, inked: (await inkedPixels(page, `canvas[data-chart="${chart}"]`)) > 500 }).toEqual({
          width,
          chart,
          inked: true,
        });
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    console.info(`dashboard panel screenshots in ${shots}`);
  });

  it('says there are no drift figures yet without drift.json, and shows an older metrics.json with dashes', async () => {
    const older = metricsDocument() as Record<string, any>;
    delete older.models_minutes;
    delete older.models_hours;
    delete older.segments;
    delete older.worst_segment;
    for (const summary of [older.totals, ...older.minutes, ...older.hours, ...Object.values(older.models)]) {
      delete summary.estimated_mae;
      delete summary.estimated_n;
      delete summary.unlabelled;
    }
    objects = { ...bucketObjects(), [BUCKET_KEYS.metrics]: JSON.stringify(older) };
    delete objects[BUCKET_KEYS.drift];

    await open();

    expect(await page.textContent('#drift-summary')).toBe('no reference / no drift figures yet');
    expect(await cellsOf(page, '#drift')).toEqual([]);
    expect(await page.$eval('#drift-feature', (select: any) => select.disabled)).toBe(true);
    expect(await page.textContent('#segments-summary')).toBe(NO_SEGMENTS);
    for (const selector of ['#segments', '#segments-rule', 'canvas[data-chart="segments"]'])
      expect({ selector, visible: await page.isVisible(selector) }).toEqual({ selector, visible: false });
    expect(await page.textContent('[data-kpi="estimated_mae"]')).toBe('—');
    expect(await page.textContent('[data-kpi="unlabelled"]')).toBe('—');
    expect((await chartData(page, 'versions')).datasets).toEqual([]);
    expect((await chartData(page, 'estimated')).datasets[1]?.data.every((value) => value === null)).toBe(true);
    for (const chart of ['minutes', 'scatter', 'histogram'])
      expect(await inkedPixels(page, `canvas[data-chart="${chart}"]`)).toBeGreaterThan(500);
  });

  it('logs no console error and throws no exception', () => {
    expect(errors).toEqual([]);
  });
});
