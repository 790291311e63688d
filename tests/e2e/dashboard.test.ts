/**
 * The dashboard in a real browser (headless Chromium through playwright-core) against
 * the whole stack: the page loads from serverless-offline's HTTP port, every KPI shows
 * metrics.json's value, each chart's canvas is drawn, the page follows new rows
 * without a reload, nothing is logged as an error, and it is usable at 1280 and 375 px
 * (screenshots in a temporary folder; UPDATE_README_SCREENSHOT=1 also writes the
 * README's docs/images/dashboard.png).
 */
import { copyFile, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUCKET_KEYS } from '../../functions/commons/storage/bucketKeys.js';
import { getText, putObject } from '../../functions/commons/storage/s3Objects.js';
import { localS3 } from '../../infra/local/cloud/localClients.js';
import { BUCKET, PROJECT_DIR } from '../../infra/local/toolbox/localDefaults.js';
import { browserMissing, collectErrors, horizontalOverflow, inkedPixels, launchBrowser, waitForChartsToFit } from '../helpers/browser.js';
import { bucketLogText } from '../helpers/logs.js';
import { eventually, stackForFile, type TestStack, waitForRows } from '../helpers/stack.js';

const missing = browserMissing();
if (missing !== undefined) console.warn(missing);

/** The charts drawn whatever the documents hold (the drift panel's needs drift.json: tests/integration/dashboardPanels.test.ts). */
const CHARTS = ['histogram', 'minutes', 'estimated', 'versions', 'scatter'];
const KPIS = [
  'rows',
  'mae',
  'rmse',
  'r2',
  'mape',
  'abs_error_p90',
  'bias',
  'label_coverage',
  'orphans',
  'dead_letters',
  'pending',
] as const;

/** What the page must show for each KPI, computed here from metrics.json on its own. */
function expectedKpis(metrics: any): Record<(typeof KPIS)[number], string> {
  const two = (value: number | null) => (value === null ? '—' : value.toFixed(2));
  const whole = (value: number | null) => (value === null ? '—' : String(value));
  return {
    rows: String(metrics.totals.n),
    mae: two(metrics.totals.mae),
    rmse: two(metrics.totals.rmse),
    r2: metrics.totals.r2 === null ? '—' : metrics.totals.r2.toFixed(3),
    mape: metrics.totals.mape === null ? '—' : `${(metrics.totals.mape * 100).toFixed(1)} %`,
    abs_error_p90: two(metrics.totals.abs_error_p90),
    bias: two(metrics.totals.bias),
    label_coverage: metrics.label_coverage === null ? '—' : `${(metrics.label_coverage * 100).toFixed(1)} %`,
    orphans: whole(metrics.orphans),
    dead_letters: whole(metrics.dead_letters),
    pending: whole(metrics.pending),
  };
}

async function shownKpis(page: Page): Promise<Record<string, string>> {
  return Object.fromEntries(await Promise.all(KPIS.map(async (name) => [name, (await page.textContent(`[data-kpi="${name}"]`)) ?? ''])));
}

describe.skipIf(missing !== undefined)('the dashboard in a browser', () => {
  const theStack = stackForFile();
  let stack: TestStack;
  let s3: ReturnType<typeof localS3>;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let shots: string;

  /** Emits a run of rows (and a few through the API, as model "api-v1"), and waits until metrics.json counts them. */
  async function emitRows(): Promise<void> {
    const { emitted } = await stack.invoke<{ emitted: string[] }>('features');
    const suffix = `${Date.now()}`;
    const apiIds = [0, 1, 2].map((i) => `web-${suffix}-${i}`);
    const post = (route: string, items: unknown) =>
      fetch(`${stack.httpEndpoint}/${route}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(items),
      });
    await post(
      'predictions',
      apiIds.map((id, i) => ({ id, body: 100 + i * 10, model: 'api-v1' })),
    );
    await post(
      'truths',
      apiIds.map((id, i) => ({ id, body: 104 + i * 7 })),
    );
    const ids = [...emitted, ...apiIds];
    await waitForRows(stack, ids);
    await eventually('metrics.json to count the rows', async () => {
      await stack.invoke('maintain');
      const text = (await getText(s3, BUCKET, BUCKET_KEYS.metrics))?.text;
      const rows = (await bucketLogText(s3, BUCKET)).trim().split('\n').length;
      return text !== undefined && JSON.parse(text).totals.n === rows - 1 ? true : undefined;
    });
    await stack.invoke('plot');
  }

  beforeAll(async () => {
    stack = theStack();
    s3 = localS3(stack.awsEndpoint);
    shots = await mkdtemp(join(tmpdir(), 'ml-monitor-dashboard-'));
    await emitRows();
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    errors = collectErrors(page);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    s3?.destroy();
  });

  it('loads the page and shows every KPI as metrics.json has it', async () => {
    // Act
    const response = await page.goto(`${stack.httpEndpoint}/`);
    await page.waitForFunction(() => (globalThis as any).document.body.dataset.updatedAt !== undefined, undefined, { timeout: 30_000 });

    // Assess: the API serves the bucket's document, and the page shows its figures.
    expect(response?.status()).toBe(200);
    const inBucket = JSON.parse((await getText(s3, BUCKET, BUCKET_KEYS.metrics))?.text ?? 'null');
    const served: any = await (await fetch(`${stack.httpEndpoint}/metrics.json`)).json();
    expect(served).toEqual(inBucket);
    expect(await shownKpis(page)).toEqual(expectedKpis(served));
    expect(Number(await page.getAttribute('[data-kpi="rows"]', 'data-value'))).toBe(served.totals.n);
    expect(await page.textContent('[data-kpi="last_row"]')).toMatch(/\d/);
    // The model table: the predictor's version and the API's, each with its row count and MAE.
    const models = await page.$$eval('#models tbody tr', (rows) =>
      rows.map((row) => [...row.querySelectorAll('td')].map((cell) => cell.textContent)),
    );
    expect(models).toEqual(
      expect.arrayContaining(
        Object.entries(served.models).map(([version, summary]: [string, any]) => [
          version,
          String(summary.n),
          summary.mae.toFixed(2),
          typeof summary.estimated_mae === 'number' ? summary.estimated_mae.toFixed(2) : '—',
          summary.rmse.toFixed(2),
          summary.r2 === null ? '—' : summary.r2.toFixed(3),
          summary.mape === null ? '—' : `${(summary.mape * 100).toFixed(1)} %`,
          summary.bias.toFixed(2),
          summary.abs_error_p90.toFixed(2),
        ]),
      ),
    );
    expect(models.map((row) => row[0])).toContain('api-v1');
    // No firing alert: nothing rendered.
    expect(await page.$$('[data-alert]')).toHaveLength(0);
    // The drift panel: its figures once maintain publishes drift.json, else that there are none yet.
    const drift: any = await (await fetch(`${stack.httpEndpoint}/drift.json`)).json();
    const versions = Object.keys(drift?.models ?? {});
    expect(await page.textContent('#drift-summary')).toMatch(
      versions.length === 0 ? /^no reference \/ no drift figures yet$/ : /^\d+ of \d+ features drifted/,
    );
  });

  it('draws each chart: histogram with the PNG bins, MAE/RMSE and estimated MAE over time, MAE per version, predicted vs actual', async () => {
    const histogram = JSON.parse((await getText(s3, BUCKET, BUCKET_KEYS.histogram))?.text ?? 'null');
    const rows: any = await (await fetch(`${stack.httpEndpoint}/rows.json`)).json();

    for (const chart of CHARTS) {
      expect({ chart, inked: (await inkedPixels(page, `canvas[data-chart="${chart}"]`)) > 500 }).toEqual({ chart, inked: true });
    }
    expect(histogram.counts).toHaveLength(20);
    expect(histogram.edges).toHaveLength(21);
    expect(histogram.counts.reduce((a: number, b: number) => a + b, 0)).toBe(histogram.rows);
    expect(JSON.parse(await readFile(join(stack.logsDir, BUCKET_KEYS.histogram), 'utf8'))).toEqual(histogram);
    const drawn = await page.evaluate(() => {
      const chart = (globalThis as any).Chart.getChart('histogram');
      return { labels: chart.data.labels.length, counts: chart.data.datasets[0].data };
    });
    expect(drawn).toEqual({ labels: 20, counts: histogram.counts });
    expect(rows.rows).toBeGreaterThan(0);
    expect(rows.y_true).toHaveLength(rows.rows);
  });

  it('follows new rows without a reload', async () => {
    // Prepare: a marker a reload would wipe.
    const before = await page.textContent('[data-kpi="rows"]');
    await page.evaluate(() => {
      (globalThis as any).dashboardMarker = 'still here';
    });

    // Act
    await emitRows();
    const after = JSON.parse((await getText(s3, BUCKET, BUCKET_KEYS.metrics))?.text ?? 'null');
    await page.waitForFunction(
      (rows) => (globalThis as any).document.querySelector('[data-kpi="rows"]')?.textContent === rows,
      String(after.totals.n),
      {
        timeout: 30_000,
      },
    );

    // Assess
    expect(Number(before)).toBeLessThan(after.totals.n);
    expect(await page.evaluate(() => (globalThis as any).dashboardMarker)).toBe('still here');
    expect(await shownKpis(page)).toEqual(expectedKpis(after));
  }, 180_000);

  it('shows the firing alerts of alerts.json, and none once nothing fires', async () => {
    // Prepare
    const kept = (await getText(s3, BUCKET, BUCKET_KEYS.alerts))?.text;
    const firing = { rule: 'mae_ratio', state: 'FIRING', value: 61.234, threshold: 45, window: 15, at: new Date().toISOString() };

    // Act
    await putObject(s3, BUCKET, BUCKET_KEYS.alerts, JSON.stringify({ firing: [firing] }), 'application/json');
    await page.waitForSelector('[data-alert]', { timeout: 30_000 });
    const shown = await page.textContent('[data-alert]');
    await putObject(s3, BUCKET, BUCKET_KEYS.alerts, kept ?? '{"firing": []}', 'application/json');
    await page.waitForSelector('[data-alert]', { state: 'detached', timeout: 30_000 });

    // Assess
    expect(shown).toMatch(/^FIRING: mae_ratio over 15 min: 61\.23, threshold 45\.00 \(since /);
  }, 90_000);

  it('is usable at 1280 and 375 px wide, with screenshots', async () => {
    for (const width of [1280, 375]) {
      // Act
      await page.setViewportSize({ width, height: 900 });
      // Laid out again at this width: every chart redrawn to its box's new width (Chart.js follows its container).
      await waitForChartsToFit(page, CHARTS);
      const file = join(shots, `dashboard-${width}.png`);
      await page.screenshot({ path: file, fullPage: true });

      // Assess: nothing wider than the screen, every KPI and chart visible.
      const overflow = await horizontalOverflow(page);
      expect({ width, overflow }).toEqual({ width, overflow: 0 });
      for (const name of KPIS) expect(await page.isVisible(`[data-kpi="${name}"]`)).toBe(true);
      for (const chart of CHARTS) expect(await inkedPixels(page, `canvas[data-chart="${chart}"]`)).toBeGreaterThan(500);
      if (width === 1280 && process.env.UPDATE_README_SCREENSHOT === '1')
        await copyFile(file, join(PROJECT_DIR, 'docs/images/dashboard.png'));
    }
    console.info(`dashboard screenshots in ${shots}`);
  });

  it('logs no console error and throws no exception', () => {
    expect(errors).toEqual([]);
  });
});
