/**
 * The requests of our QuickChart-compatible renderer (server.ts is its HTTP side),
 * which exists so the pipeline can draw its charts locally without a QuickChart Docker
 * container: one zod schema validates the body that quickchart-js POSTs to /chart.
 * What it validates is drawn by functions/commons/chart/drawChart.ts (Chart.js 4 on
 * @napi-rs/canvas), the same code `plot` draws with in-process on AWS.
 *
 * The chart config is read strictly as DATA (JSON or JSON5). QuickChart evaluates
 * configs as JavaScript so that callbacks work; we never do, because a renderer that
 * runs code from request bodies is a remote-code-execution hole even on localhost.
 */
import { createCanvas } from '@napi-rs/canvas';
import { Chart, type ChartConfiguration, type ChartType } from 'chart.js';
import JSON5 from 'json5';
import { z } from 'zod';

// Limits bound memory and CPU per request: a 4000x4000 RGBA canvas is already 64 MB,
// and Chart.js draws synchronously, blocking the event loop.
export const MAX_BODY_BYTES = 1024 * 1024;
export const MAX_DIMENSION_PX = 4000;
const MAX_OUTPUT_PIXELS = 16_000_000;
const MAX_DEVICE_PIXEL_RATIO = 4;
/** Real configs nest under ten levels; the limit keeps recursive walks (ours, Chart.js's merges) off the stack's end. */
const MAX_CONFIG_DEPTH = 64;

/** A request the caller got wrong; `status` is the HTTP status to answer with. */
export class RequestError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** A number, or a decimal string: QuickChart's GET form sends strings, and clients reuse them in POSTs. */
const numeric = z.preprocess(
  (v) => (typeof v === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v),
  z.number({ error: 'must be a number' }),
);
const pixels = (fallback: number) =>
  numeric
    .refine((n) => Number.isInteger(n) && n >= 1 && n <= MAX_DIMENSION_PX, `must be whole pixels from 1 to ${MAX_DIMENSION_PX}`)
    .default(fallback);

const CHART_TYPES = ['bar', 'bubble', 'doughnut', 'line', 'pie', 'polarArea', 'radar', 'scatter'] as const satisfies readonly ChartType[];
// An unknown type would make Chart.js throw mid-render, which would look like our fault (500).
const chartType = z.enum(CHART_TYPES, { error: `must be a Chart.js chart type: ${CHART_TYPES.join(', ')}` });

/**
 * quickchart-js asks for Chart.js 2.9.4 unless told otherwise, but we draw only with
 * Chart.js 4, which silently ignores v2 option names: the chart would come out
 * without its titles. A clear 400 beats a quietly wrong chart.
 */
const chartJs2 = (v4: string) =>
  z.never({ error: `is a Chart.js 2 option; this renderer draws Chart.js ${Chart.version}, use ${v4}` }).optional();

const chartConfig = z.looseObject(
  {
    type: chartType,
    data: z.looseObject({ datasets: z.array(z.looseObject({ type: chartType.optional() })).optional() }).optional(),
    options: z
      .looseObject({
        title: chartJs2('options.plugins.title'),
        legend: chartJs2('options.plugins.legend'),
        tooltips: chartJs2('options.plugins.tooltip'),
        scales: z.looseObject({ xAxes: chartJs2('options.scales.x'), yAxes: chartJs2('options.scales.y') }).optional(),
      })
      .optional(),
  },
  { error: ({ input }) => (input === undefined ? 'is missing: send the Chart.js config as "chart"' : 'must be a Chart.js config object') },
);

/** `chart` as an object, or as JSON or JSON5 text (quickchart-js sends object configs as JavaScript-like text JSON5 reads). */
const chartField = z
  .unknown()
  .transform((value, ctx) => {
    let config: unknown;
    try {
      // Chart.js patches the data arrays it draws; the copy keeps an in-process caller's object untouched.
      config = typeof value === 'string' ? JSON5.parse(value) : structuredClone(value);
    } catch (error) {
      const message = `is not data (functions and other JavaScript are not supported, the config is read as JSON or JSON5): ${(error as Error).message}`;
      ctx.issues.push({ code: 'custom', message, input: value });
      return z.NEVER;
    }
    const problem = unsafeNode(config, []);
    if (problem) ctx.issues.push({ code: 'custom', ...problem, input: undefined });
    return config;
  })
  .pipe(chartConfig);

const KEYS_REACHING_PROTOTYPES = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * The first thing in the config that must not reach Chart.js: nesting deep enough to
 * overflow its recursive walks (a 500 otherwise), a key that reaches Object.prototype
 * through a careless merge (Chart.js skips them too; this keeps any merge of ours safe),
 * or a QuickChart function marker (QuickChart would run it as code; a clear reason
 * beats drawing the marker as text).
 */
function unsafeNode(node: unknown, path: Array<string | number>): { path: Array<string | number>; message: string } | undefined {
  if (path.length > MAX_CONFIG_DEPTH) return { path, message: `is nested deeper than ${MAX_CONFIG_DEPTH} levels` };
  if (typeof node === 'string' && node.includes('__BEGINFUNCTION__')) {
    return { path, message: 'holds a function (__BEGINFUNCTION__); functions are not supported, the config is read as data' };
  }
  if (typeof node !== 'object' || node === null) return undefined;
  for (const [key, child] of Object.entries(node)) {
    if (KEYS_REACHING_PROTOTYPES.has(key)) return { path: [...path, key], message: 'is a forbidden key (it reaches Object.prototype)' };
    const problem = unsafeNode(child, [...path, Array.isArray(node) ? Number(key) : key]);
    if (problem) return problem;
  }
  return undefined;
}

/**
 * The body of POST /chart, with QuickChart's defaults. Other fields QuickChart knows
 * are accepted and ignored: `version` (we always draw with Chart.js 4; Chart.js 2
 * option names are refused above), `key`.
 */
const requestSchema = z
  .object(
    {
      width: pixels(500),
      height: pixels(300),
      devicePixelRatio: numeric
        .refine((r) => r > 0 && r <= MAX_DEVICE_PIXEL_RATIO, `must be above 0 and at most ${MAX_DEVICE_PIXEL_RATIO}`)
        .default(2),
      format: z.literal('png', { error: 'is not supported; only "png" is' }).default('png'),
      // QuickChart defaults to transparent, but quickchart-js always sends white, and a
      // transparent PNG is unreadable in dark viewers: white keeps both looking the same.
      backgroundColor: z.string().max(100).refine(isCanvasColor, 'is not a CSS color').default('#ffffff'),
      chart: chartField,
    },
    { error: 'must be a JSON object' },
  )
  .superRefine(
    ({ width, height, devicePixelRatio }, ctx) => {
      // Chart.js floors the scaled size the same way.
      const [w, h] = [Math.floor(width * devicePixelRatio), Math.floor(height * devicePixelRatio)];
      if (w < 1 || h < 1 || w * h > MAX_OUTPUT_PIXELS) {
        const message = `width ${width} x height ${height} at devicePixelRatio ${devicePixelRatio} makes a ${w}x${h} px image; it must have 1 to ${MAX_OUTPUT_PIXELS} pixels`;
        ctx.issues.push({ code: 'custom', message, input: undefined });
      }
    },
    // Judged only once the three factors are valid, so that one bad field gets one message.
    { when: ({ issues }) => issues.length === 0 },
  );

/** A validated render request, every default applied. */
export type RenderRequest = Omit<z.output<typeof requestSchema>, 'chart'> & { readonly chart: ChartConfiguration };

/** Validates a parsed body; throws a RequestError naming every bad field, e.g. `width: must be ... (got 0)`. */
export function parseRenderRequest(body: unknown): RenderRequest {
  const result = requestSchema.safeParse(withoutEmptyFields(body), { reportInput: true });
  if (result.success) return result.data as unknown as RenderRequest;
  const describe = ({ path, message, input }: z.core.$ZodIssue) => {
    const shown = typeof input === 'string' ? JSON.stringify(input.length > 60 ? `${input.slice(0, 57)}...` : input) : input;
    return `${path.length ? z.core.toDotPath(path) : 'request body'}: ${message}${['string', 'number', 'boolean'].includes(typeof input) ? ` (got ${shown})` : ''}`;
  };
  throw new RequestError(result.error.issues.map(describe).join('; '));
}

/** QuickChart treats null and '' as absent, and reads `bkg` (its GET parameter) as backgroundColor. */
function withoutEmptyFields(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const fields: Record<string, unknown> = Object.fromEntries(Object.entries(body).filter(([, value]) => value !== null && value !== ''));
  fields.backgroundColor ??= fields.bkg;
  return fields;
}

/**
 * A canvas silently ignores a colour it cannot parse and keeps the previous one, so
 * a typo would paint black. Assigning over two different colours tells the cases apart.
 */
const colorProbe = createCanvas(1, 1).getContext('2d');
function isCanvasColor(color: string): boolean {
  colorProbe.fillStyle = '#000000';
  colorProbe.fillStyle = color;
  const overBlack = colorProbe.fillStyle;
  colorProbe.fillStyle = '#ffffff';
  colorProbe.fillStyle = color;
  return colorProbe.fillStyle === overBlack;
}
