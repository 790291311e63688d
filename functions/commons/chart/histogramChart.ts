/**
 * The error histogram as a Chart.js v4 configuration (data, and one label function), and its rendering:
 * drawn in this process (drawChart.ts), or through a QuickChart server with
 * quickchart-js when one is named, each loaded only when used. To a server the
 * configuration goes as a JSON string, never as code: QuickChart evaluates object
 * configs as JavaScript.
 */
import type { ChartConfiguration } from 'chart.js';
import { ChartRenderError } from '../platform/errors.js';
import type { Histogram } from './histogram.js';

export const CHART_TEXT = {
  title: 'Распределение абсолютных ошибок',
  xAxis: 'Абсолютная ошибка',
  yAxis: 'Частота',
} as const;

/** The PNG: 800 x 500 pixels on white, whoever draws it. */
export const PNG_OPTIONS = { width: 800, height: 500, devicePixelRatio: 1, backgroundColor: 'white' } as const;

export interface ErrorSummary {
  readonly rows: number;
  readonly meanAbsoluteError: number;
  readonly rootMeanSquaredError: number;
  readonly p90AbsoluteError: number;
}

function binLabel(from: number, to: number): string {
  return `${from.toFixed(1)}–${to.toFixed(1)}`;
}

/**
 * A y-axis label as Chart.js's default writes it (en-US, "12,345"), without
 * Intl.NumberFormat, whose first use loads ICU's data: ~20 ms of every `npm run plot`.
 * The ticks are whole counts (precision 0), so the default would write no decimals. As a
 * function it is left out when the config goes to a server as JSON, which then writes
 * the same labels itself.
 */
export function countLabel(value: number | string): string {
  return String(value).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function errorHistogramChart(hist: Histogram, summary: ErrorSummary): ChartConfiguration<'bar'> {
  const labels = hist.counts.map((_, i) => binLabel(hist.edges[i] as number, hist.edges[i + 1] as number));
  return {
    type: 'bar',
    data: {
      labels,
      datasets: [
        {
          label: CHART_TEXT.yAxis,
          data: [...hist.counts],
          backgroundColor: 'rgba(31, 119, 180, 0.85)',
          borderColor: '#000000',
          borderWidth: 1,
          // Touching bars: a histogram, not a bar chart of categories.
          barPercentage: 1,
          categoryPercentage: 1,
        },
      ],
    },
    options: {
      plugins: {
        legend: { display: false },
        title: { display: true, text: CHART_TEXT.title, font: { size: 18 } },
        subtitle: {
          display: true,
          text: `n ${summary.rows} · MAE ${summary.meanAbsoluteError.toFixed(2)} · RMSE ${summary.rootMeanSquaredError.toFixed(2)} · p90 ${summary.p90AbsoluteError.toFixed(2)}`,
          padding: { bottom: 10 },
        },
      },
      scales: {
        x: { title: { display: true, text: CHART_TEXT.xAxis }, ticks: { maxRotation: 60, minRotation: 45 } },
        y: { title: { display: true, text: CHART_TEXT.yAxis }, beginAtZero: true, ticks: { precision: 0, callback: countLabel } },
      },
    },
  };
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * The chart's PNG: posted to the QuickChart server at `serverUrl` when one is named,
 * else drawn in this process, where nothing leaves it.
 */
export async function renderChart(config: ChartConfiguration, serverUrl: string | undefined): Promise<Buffer> {
  if (serverUrl !== undefined) return await renderThroughServer(serverUrl, config);
  // Loaded only to draw here: with a server, a run never loads the native canvas (nor
  // pays for it at a cold start), and a bundle built for another machine still loads.
  const { drawChart } = await loadDrawChart();
  return await drawChart(config, PNG_OPTIONS);
}

/** Chart.js and the canvas, loaded (once): `npm run plot` loads them while its worker parses. */
export function loadDrawChart(): Promise<typeof import('./drawChart.js')> {
  return import('./drawChart.js');
}

/** POSTs the config to the QuickChart server at `serverUrl` and returns the PNG. */
export async function renderThroughServer(serverUrl: string, config: ChartConfiguration): Promise<Buffer> {
  const url = new URL(serverUrl);
  // Loaded only to post (it brings node-fetch and whatwg-url): a chart drawn here never pays for it.
  const { default: QuickChart } = await import('quickchart-js');
  const chart = new QuickChart()
    .setScheme(url.protocol.replace(':', ''))
    .setHost(url.host)
    .setConfig(JSON.stringify(config))
    .setWidth(PNG_OPTIONS.width)
    .setHeight(PNG_OPTIONS.height)
    .setDevicePixelRatio(PNG_OPTIONS.devicePixelRatio)
    .setBackgroundColor(PNG_OPTIONS.backgroundColor)
    .setVersion('4')
    .setFormat('png');
  let png: Buffer;
  try {
    png = await chart.toBinary();
  } catch (error) {
    throw new ChartRenderError(`chart server at ${serverUrl} failed: ${(error as Error).message}`, { cause: error });
  }
  if (!png.subarray(0, 8).equals(PNG_SIGNATURE)) {
    throw new ChartRenderError(`chart server at ${serverUrl} did not answer with a PNG`);
  }
  return png;
}
