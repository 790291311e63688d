/**
 * Draws a Chart.js 4 config into a PNG in this process, with Chart.js on
 * @napi-rs/canvas: nothing is sent anywhere. `plot` draws the histogram with it when no
 * QUICKCHART_URL is set (the default on AWS); the embedded QuickChart-compatible
 * renderer (infra/local/renderer) draws each request it has validated with it; `npm run
 * plot` too.
 *
 * The text is DejaVu Sans (the titles are Russian: it has Cyrillic glyphs), registered
 * from the dejavu-fonts-ttf package rather than looked up on the system: Lambda has no
 * fonts, and a machine without DejaVu would draw the titles in whatever it has. The
 * plot function's package carries the two files (serverless.yml, plot's patterns).
 */
import { createCanvas, GlobalFonts } from '@napi-rs/canvas';
import { Chart, type ChartConfiguration, type ChartItem, type Plugin, registerables } from 'chart.js';
import { ChartRenderError } from '../platform/errors.js';

export const FONT_FAMILY = 'DejaVu Sans';
/** Regular and bold: Chart.js draws titles bold. Literal paths, so bundles keep them as they are. */
const FONT_FILES = [require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf'), require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf')];

Chart.register(...registerables);
for (const file of FONT_FILES) {
  if (GlobalFonts.registerFromPath(file, FONT_FAMILY) === null) throw new ChartRenderError(`cannot load the font ${file}`);
}
Chart.defaults.font.family = `'${FONT_FAMILY}', sans-serif`;

/** The canvas a chart is drawn on: CSS pixels, their scale in the PNG, and the colour under the chart. */
export interface CanvasOptions {
  readonly width: number;
  readonly height: number;
  readonly devicePixelRatio: number;
  /** Any CSS colour the canvas parses; one it cannot parse leaves the canvas's default (black). */
  readonly backgroundColor: string;
}

/**
 * Draws `chart` into a PNG of width x height CSS pixels times devicePixelRatio.
 * Chart.js keeps listeners on the config's data arrays: pass a config used for this
 * drawing only (the renderer's are parsed copies; plot builds one per run).
 */
export async function drawChart(chart: ChartConfiguration, options: CanvasOptions): Promise<Buffer> {
  // The canvas starts at the CSS size; Chart.js scales it by devicePixelRatio itself.
  const canvas = createCanvas(options.width, options.height);
  // Chart.js's node path only needs getContext('2d') and width/height, which
  // @napi-rs/canvas has; its types are for DOM canvases, hence the cast.
  const item = canvas as unknown as ChartItem;
  const config = {
    ...chart,
    options: {
      ...chart.options,
      animation: false,
      responsive: false,
      maintainAspectRatio: false,
      devicePixelRatio: options.devicePixelRatio,
      events: [],
    },
    // The config's own inline plugins (hooks, i.e. functions: configs read as data have none) give
    // way to ours, which paints the background under the chart: Chart.js draws on a transparent canvas.
    plugins: [
      {
        id: 'ml-monitor-background',
        beforeDraw: ({ ctx, width, height }) => {
          ctx.save();
          ctx.globalCompositeOperation = 'destination-over';
          ctx.fillStyle = options.backgroundColor;
          ctx.fillRect(0, 0, width, height);
          ctx.restore();
        },
      } satisfies Plugin,
    ],
  } as ChartConfiguration;
  try {
    new Chart(item, config);
    return await canvas.encode('png');
  } finally {
    // Also when drawing threw half-way: Chart.js registers the instance first, and it
    // would otherwise hold its canvas in Chart.instances for the life of the process.
    Chart.getChart(item)?.destroy();
  }
}
