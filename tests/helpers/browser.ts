/**
 * A headless browser for the page tests: playwright-core driving Debian's Chromium
 * (/usr/bin/chromium; `.ci/run` installs it with apt when it can). Without it the
 * tests skip and say why.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Why the browser tests cannot run here, or undefined when they can. */
export function browserMissing(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  return `${CHROMIUM} is missing: the dashboard's browser tests are skipped (apt-get install chromium, as .ci/run does when root; or set CHROMIUM_PATH)`;
}

export async function launchBrowser(): Promise<Browser> {
  return await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** Every console error and uncaught exception of the page, as "console: …" / "pageerror: …" lines. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  return errors;
}

/** Pixels of a canvas that are not background (fully transparent or white). */
export async function inkedPixels(page: Page, selector: string): Promise<number> {
  return await page.$eval(selector, (element) => {
    // (No DOM types in this project's tsconfig: the canvas as far as it is used.)
    const canvas = element as unknown as {
      width: number;
      height: number;
      getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
    };
    const context = canvas.getContext('2d');
    if (context === null || canvas.width === 0 || canvas.height === 0) return 0;
    const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
    let inked = 0;
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b, a] = [data[i] as number, data[i + 1] as number, data[i + 2] as number, data[i + 3] as number];
      if (a > 0 && !(r > 250 && g > 250 && b > 250)) inked++;
    }
    return inked;
  });
}

/**
 * Waits until each chart (by its canvas' data-chart) is laid out again at the page's
 * width: Chart.js follows its container, a moment after the viewport changes.
 */
export async function waitForChartsToFit(page: Page, charts: readonly string[]): Promise<void> {
  await page.waitForFunction(
    (names) =>
      names.every((name) => {
        const canvas = (globalThis as any).document.querySelector(`canvas[data-chart="${name}"]`);
        const chart = (globalThis as any).Chart?.getChart(canvas);
        return chart !== undefined && Math.abs(chart.width - canvas.parentElement.getBoundingClientRect().width) < 1;
      }),
    charts,
    { timeout: 30_000 },
  );
}

/** How many pixels the page is wider than the screen (0 when nothing sticks out). */
export async function horizontalOverflow(page: Page): Promise<number> {
  return await page.evaluate(() => {
    const root = (globalThis as any).document.documentElement;
    return root.scrollWidth - root.clientWidth;
  });
}
