/**
 * The QuickChart-compatible renderer core: turns the JSON body that `quickchart-js`
 * POSTs to `/chart` into a typed request, then draws it with Chart.js 4 on
 * @napi-rs/canvas into a PNG. No HTTP here, so it can be tested on its own.
 *
 * The chart config is treated strictly as DATA. QuickChart evaluates configs as
 * JavaScript (so that callbacks work); we never do, because a renderer that runs
 * code from request bodies is a remote-code-execution hole even on localhost.
 */
import { existsSync } from 'node:fs';
import { createCanvas, GlobalFonts } from '@napi-rs/canvas';
import { Chart, type ChartConfiguration, type ChartItem, type ChartType, type Plugin, registerables, registry } from 'chart.js';
import JSON5 from 'json5';

// ---------------------------------------------------------------------------
// Limits. They bound memory and CPU per request: a 4000x4000 RGBA canvas is
// already 64 MB, and Chart.js renders synchronously, blocking the event loop.
// ---------------------------------------------------------------------------

/** Largest accepted request body; the server stops reading beyond it. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Largest accepted `width` / `height` in CSS pixels (before devicePixelRatio). */
export const MAX_DIMENSION_PX = 4000;
/** Largest accepted output image, in device pixels (after devicePixelRatio). */
export const MAX_OUTPUT_PIXELS = 16_000_000;
/** devicePixelRatio must lie in (0, MAX_DEVICE_PIXEL_RATIO]. */
export const MAX_DEVICE_PIXEL_RATIO = 4;
/** Deepest nesting accepted in a chart config; real configs are under ten levels. */
export const MAX_CONFIG_DEPTH = 64;
/** Longest accepted backgroundColor string. */
export const MAX_COLOR_LENGTH = 100;

// QuickChart's own server defaults for fields the body leaves out.
export const DEFAULT_WIDTH = 500;
export const DEFAULT_HEIGHT = 300;
export const DEFAULT_DEVICE_PIXEL_RATIO = 2;
/**
 * QuickChart itself defaults to 'transparent', but the `quickchart-js` client always
 * sends '#ffffff', and a transparent PNG with dark-grey text is unreadable in dark
 * image viewers and S3 consoles. White keeps a body without the field looking the
 * same as one sent by the client the pipeline uses.
 */
export const DEFAULT_BACKGROUND_COLOR = '#ffffff';

/** The version reported by /healthcheck (QuickChart reports its own package version). */
export const RENDERER_VERSION = '1.0.0';

const FUNCTION_MARKERS = ['__BEGINFUNCTION__', '__ENDFUNCTION__'] as const;
// Keys that could reach Object.prototype through a careless merge; Chart.js skips
// them itself, refusing them as well means no future merge of ours can be fooled.
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export type ImageFormat = 'png';

/** A validated render request; every field has its default applied. */
export interface RenderRequest {
  readonly width: number;
  readonly height: number;
  readonly devicePixelRatio: number;
  readonly format: ImageFormat;
  readonly backgroundColor: string;
  readonly chart: ChartConfiguration;
}

/** A request the caller got wrong: `status` is the HTTP status to answer with. */
export class RenderRequestError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 413 = 400,
  ) {
    super(message);
    this.name = 'RenderRequestError';
  }
}

// ---------------------------------------------------------------------------
// Parsing and validation
// ---------------------------------------------------------------------------

/** Parses the raw body bytes (JSON) and validates them; see `parseRenderRequest`. */
export function parseRenderRequestBody(raw: Buffer | string): RenderRequest {
  const text = typeof raw === 'string' ? raw : raw.toString('utf8');
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) {
    throw new RenderRequestError(`request body is larger than ${MAX_BODY_BYTES} bytes`, 413);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new RenderRequestError(`request body is not valid JSON: ${errorMessage(error)}`);
  }
  return parseRenderRequest(body);
}

/** Validates an already-parsed body; throws RenderRequestError with the reason. */
export function parseRenderRequest(body: unknown): RenderRequest {
  if (!isPlainObject(body)) throw new RenderRequestError('request body must be a JSON object');
  const width = readDimension(body, 'width', DEFAULT_WIDTH);
  const height = readDimension(body, 'height', DEFAULT_HEIGHT);
  const devicePixelRatio = readDevicePixelRatio(body);
  checkOutputSize(width, height, devicePixelRatio);
  return {
    width,
    height,
    devicePixelRatio,
    format: readFormat(body),
    backgroundColor: readBackgroundColor(body),
    chart: readChartConfig(body.chart),
  };
}

/** Device-pixel size of the PNG; Chart.js floors the scaled size the same way. */
export function outputSize(request: Pick<RenderRequest, 'width' | 'height' | 'devicePixelRatio'>): {
  width: number;
  height: number;
} {
  return {
    width: Math.floor(request.width * request.devicePixelRatio),
    height: Math.floor(request.height * request.devicePixelRatio),
  };
}

function readDimension(body: Record<string, unknown>, field: 'width' | 'height', fallback: number): number {
  const value = readNumberField(body, field);
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) {
    throw new RenderRequestError(`${field} must be a positive integer, got ${describe(body[field])}`);
  }
  if (value > MAX_DIMENSION_PX) {
    throw new RenderRequestError(`${field} must be at most ${MAX_DIMENSION_PX} px, got ${value}`);
  }
  return value;
}

function readDevicePixelRatio(body: Record<string, unknown>): number {
  const value = readNumberField(body, 'devicePixelRatio');
  if (value === undefined) return DEFAULT_DEVICE_PIXEL_RATIO;
  if (!Number.isFinite(value) || value <= 0 || value > MAX_DEVICE_PIXEL_RATIO) {
    throw new RenderRequestError(`devicePixelRatio must be in (0, ${MAX_DEVICE_PIXEL_RATIO}], got ${describe(body.devicePixelRatio)}`);
  }
  return value;
}

function checkOutputSize(width: number, height: number, devicePixelRatio: number): void {
  const size = outputSize({ width, height, devicePixelRatio });
  if (size.width < 1 || size.height < 1) {
    throw new RenderRequestError(`the image would be empty: ${width}x${height} at devicePixelRatio ${devicePixelRatio} is under 1 px`);
  }
  if (size.width * size.height > MAX_OUTPUT_PIXELS) {
    throw new RenderRequestError(
      `the image would be ${size.width}x${size.height} px, more than ${MAX_OUTPUT_PIXELS} pixels; ` +
        'lower width, height or devicePixelRatio',
    );
  }
}

/**
 * Numbers, or decimal strings: QuickChart's GET form sends strings, and some
 * clients reuse those values in POST bodies. Absent and null both mean "default".
 */
function readNumberField(body: Record<string, unknown>, field: string): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  throw new RenderRequestError(`${field} must be a number, got ${describe(value)}`);
}

function readFormat(body: Record<string, unknown>): ImageFormat {
  const value = body.format;
  if (value === undefined || value === null || value === '') return 'png';
  if (typeof value === 'string' && value.toLowerCase() === 'png') return 'png';
  throw new RenderRequestError(`format ${describe(value)} is not supported; only "png" is`);
}

function readBackgroundColor(body: Record<string, unknown>): string {
  const value = body.backgroundColor;
  if (value === undefined || value === null || value === '') return DEFAULT_BACKGROUND_COLOR;
  if (typeof value !== 'string' || value.length > MAX_COLOR_LENGTH || !isCanvasColor(value)) {
    throw new RenderRequestError(`backgroundColor ${describe(value)} is not a CSS color`);
  }
  return value;
}

/**
 * A canvas silently ignores a colour it cannot parse and keeps the previous one, so
 * a typo would paint black. Assigning over two different colours tells the cases apart.
 */
function isCanvasColor(color: string): boolean {
  const context = colorProbe();
  context.fillStyle = '#000000';
  context.fillStyle = color;
  const overBlack = context.fillStyle;
  context.fillStyle = '#ffffff';
  context.fillStyle = color;
  return context.fillStyle === overBlack;
}

let probeContext: ReturnType<ReturnType<typeof createCanvas>['getContext']> | undefined;
function colorProbe(): NonNullable<typeof probeContext> {
  probeContext ??= createCanvas(1, 1).getContext('2d');
  return probeContext;
}

/** `chart` may be JSON text, JSON5 text (what quickchart-js sends for objects) or an object. */
function readChartConfig(value: unknown): ChartConfiguration {
  if (value === undefined || value === null || value === '') {
    throw new RenderRequestError('chart is missing: send the Chart.js config as "chart"');
  }
  // Chart.js patches the data arrays it draws (to watch them for changes); a copy
  // keeps a caller's object untouched when this module is used in-process.
  const config = typeof value === 'string' ? parseChartText(value) : copyData(value);
  if (!isPlainObject(config)) throw new RenderRequestError('chart must be a Chart.js config object');
  checkConfigTree(config, 'chart', 0);
  checkChartType(config);
  checkChartShape(config);
  checkNotChartJs2(config);
  return config as unknown as ChartConfiguration;
}

function copyData(value: unknown): unknown {
  try {
    return structuredClone(value);
  } catch (error) {
    throw new RenderRequestError(`chart must be plain data, without functions: ${errorMessage(error)}`);
  }
}

function parseChartText(text: string): unknown {
  rejectFunctionMarkers(text, 'chart');
  try {
    return JSON.parse(text);
  } catch {
    // quickchart-js serialises object configs with javascript-stringify: unquoted
    // keys and single quotes, which JSON5 reads and JSON does not.
  }
  try {
    return JSON5.parse(text);
  } catch (error) {
    throw new RenderRequestError(
      'chart is neither valid JSON nor JSON5 (functions and other JavaScript are not supported, ' +
        `the config is read as data): ${errorMessage(error)}`,
    );
  }
}

function rejectFunctionMarkers(text: string, where: string): void {
  for (const marker of FUNCTION_MARKERS) {
    if (text.includes(marker)) {
      throw new RenderRequestError(`${where} contains a function (${marker}); functions are not supported, the config is read as data`);
    }
  }
}

/** Walks the whole config once: depth, prototype keys and function markers anywhere. */
function checkConfigTree(node: unknown, path: string, depth: number): void {
  if (depth > MAX_CONFIG_DEPTH) {
    throw new RenderRequestError(`chart is nested deeper than ${MAX_CONFIG_DEPTH} levels (at ${path})`);
  }
  if (typeof node === 'string') {
    rejectFunctionMarkers(node, path);
    return;
  }
  if (Array.isArray(node)) {
    for (const [index, item] of node.entries()) checkConfigTree(item, `${path}[${index}]`, depth + 1);
    return;
  }
  if (node !== null && typeof node === 'object') {
    for (const [key, child] of Object.entries(node)) {
      if (FORBIDDEN_KEYS.has(key)) throw new RenderRequestError(`chart contains the forbidden key "${key}" (at ${path})`);
      rejectFunctionMarkers(key, path);
      checkConfigTree(child, `${path}.${key}`, depth + 1);
    }
  }
}

/** An unknown type would make Chart.js throw mid-render, which would look like our fault (500). */
function checkChartType(config: Record<string, unknown>): void {
  const type = config.type;
  if (typeof type !== 'string' || type === '') {
    throw new RenderRequestError('chart.type is missing: say which chart to draw, e.g. "bar" or "line"');
  }
  ensureChartEnvironment();
  checkKnownType(type, 'chart.type');
  const datasets = isPlainObject(config.data) ? config.data.datasets : undefined;
  if (!Array.isArray(datasets)) return;
  datasets.forEach((dataset: unknown, index) => {
    if (isPlainObject(dataset) && dataset.type !== undefined) {
      checkKnownType(dataset.type, `chart.data.datasets[${index}].type`);
    }
  });
}

/** For error messages only; the registry is what decides. */
const CHART_TYPES = ['bar', 'bubble', 'doughnut', 'line', 'pie', 'polarArea', 'radar', 'scatter'] as const satisfies readonly ChartType[];

function checkKnownType(type: unknown, path: string): void {
  if (typeof type === 'string' && registry.controllers.get(type) !== undefined) return;
  throw new RenderRequestError(`${path} ${describe(type)} is not a Chart.js chart type; use one of: ${CHART_TYPES.join(', ')}`);
}

function checkChartShape(config: Record<string, unknown>): void {
  const data = config.data;
  if (data !== undefined && !isPlainObject(data)) throw new RenderRequestError('chart.data must be an object');
  if (data !== undefined && data.datasets !== undefined && !Array.isArray(data.datasets)) {
    throw new RenderRequestError('chart.data.datasets must be an array');
  }
  if (config.options !== undefined && !isPlainObject(config.options)) {
    throw new RenderRequestError('chart.options must be an object');
  }
}

/**
 * quickchart-js asks for Chart.js 2.9.4 by default, but we only draw with Chart.js 4,
 * which silently ignores the v2 option names: a v2 config would come out without its
 * title and axis titles. A clear 400 beats a quietly wrong chart.
 */
function checkNotChartJs2(config: Record<string, unknown>): void {
  const options = config.options;
  if (!isPlainObject(options)) return;
  const scales = options.scales;
  const v2Paths: Array<[boolean, string, string]> = [
    [isPlainObject(scales) && 'xAxes' in scales, 'options.scales.xAxes', 'options.scales.x'],
    [isPlainObject(scales) && 'yAxes' in scales, 'options.scales.yAxes', 'options.scales.y'],
    ['title' in options, 'options.title', 'options.plugins.title'],
    ['legend' in options, 'options.legend', 'options.plugins.legend'],
    ['tooltips' in options, 'options.tooltips', 'options.plugins.tooltip'],
  ];
  for (const [present, v2, v4] of v2Paths) {
    if (present) {
      throw new RenderRequestError(`chart uses the Chart.js 2 option ${v2}; this renderer draws Chart.js ${Chart.version}, use ${v4}`);
    }
  }
}

// ---------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------

/** Draws the request into a PNG of outputSize(request) device pixels. */
export async function renderChart(request: RenderRequest): Promise<Buffer> {
  ensureChartEnvironment();
  // The canvas starts at the CSS size; Chart.js scales it by devicePixelRatio itself.
  const canvas = createCanvas(request.width, request.height);
  // Chart.js's node path (BasicPlatform) only needs getContext('2d') and width/height,
  // which @napi-rs/canvas has; its types are for DOM canvases, hence the cast.
  const item = canvas as unknown as ChartItem;
  let chart: Chart;
  try {
    chart = new Chart(item, chartJsConfig(request));
  } catch (error) {
    // Chart.js registers the instance before drawing; one that throws half-way would
    // otherwise stay in Chart.instances, holding its canvas, for the life of the server.
    destroyQuietly(Chart.getChart(item));
    throw error;
  }
  try {
    return await canvas.encode('png');
  } finally {
    destroyQuietly(chart);
  }
}

function destroyQuietly(chart: Chart | undefined): void {
  try {
    chart?.destroy();
  } catch {
    // Only cleanup of an already-failed or finished render; its error is not the user's concern.
  }
}

/**
 * The user's config with what a server render needs forced on top. Top-level
 * `plugins` is dropped: inline plugins are objects of hooks, i.e. functions, which
 * a data-only config cannot carry.
 */
function chartJsConfig(request: RenderRequest): ChartConfiguration {
  const { chart } = request;
  return {
    ...chart,
    options: {
      ...(chart.options ?? {}),
      animation: false,
      responsive: false,
      maintainAspectRatio: false,
      devicePixelRatio: request.devicePixelRatio,
      events: [],
    },
    plugins: [backgroundPlugin(request.backgroundColor)],
  } as ChartConfiguration;
}

/** Chart.js draws on a cleared (transparent) canvas; this paints the background under it. */
function backgroundPlugin(color: string): Plugin {
  return {
    id: 'ml-monitor-background',
    beforeDraw(chart) {
      const { ctx } = chart;
      ctx.save();
      ctx.globalCompositeOperation = 'destination-over';
      ctx.fillStyle = color;
      ctx.fillRect(0, 0, chart.width, chart.height);
      ctx.restore();
    },
  };
}

// ---------------------------------------------------------------------------
// One-time Chart.js and font set-up
// ---------------------------------------------------------------------------

/** DejaVu Sans has Cyrillic glyphs; the pipeline's titles and axis labels are Russian. */
export const FONT_FAMILY = 'DejaVu Sans';
const FONT_FILES = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf', // Chart.js titles are bold
] as const;

let environmentReady = false;

/** Registers Chart.js components and the font once per process; safe to call often. */
export function ensureChartEnvironment(): void {
  if (environmentReady) return;
  environmentReady = true;
  Chart.register(...registerables);
  if (registerFont()) {
    Chart.defaults.font.family = `'${FONT_FAMILY}', sans-serif`;
  }
}

/**
 * A missing font must not stop charts: without it Chart.js keeps its default
 * Helvetica/Arial family, which Skia resolves to whatever the system has (the
 * labels may then lack Cyrillic glyphs, hence the warning).
 */
function registerFont(): boolean {
  for (const path of FONT_FILES) {
    try {
      if (existsSync(path)) GlobalFonts.registerFromPath(path, FONT_FAMILY);
    } catch {
      // An unreadable or corrupt file is treated like a missing one, below.
    }
  }
  if (GlobalFonts.has(FONT_FAMILY)) return true;
  console.warn(
    `[renderer] font "${FONT_FAMILY}" not found (looked at ${FONT_FILES[0]} and the system fonts); ` +
      'charts will use the default font and Cyrillic text may not render',
  );
  return false;
}

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short, safe rendering of a bad value for an error message. */
function describe(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(JSON.stringify(value) ?? typeof value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
