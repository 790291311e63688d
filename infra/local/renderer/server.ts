/**
 * The HTTP side of our QuickChart-compatible renderer (render.ts reads the requests,
 * functions/commons/chart/drawChart.ts draws them), so the pipeline needs no QuickChart
 * Docker container locally. It answers the part of QuickChart's API that the pipeline
 * and quickchart-js use:
 *   POST /chart        -> 200 image/png
 *   GET  /healthcheck  -> 200 {"success":true,"version":...}
 * Bad requests get a 4xx JSON `{ "error": reason }`, render failures a 500; the reason
 * also goes into `X-QuickChart-Error`, which quickchart-js puts into the message of
 * the error it throws. It binds 127.0.0.1 unless told otherwise: it draws whatever it
 * is sent, so it is a local development tool, not a service.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Chart } from 'chart.js';
import { drawChart } from '../../../functions/commons/chart/drawChart.js';
import { MAX_BODY_BYTES, parseRenderRequest, RequestError } from './render.js';

const REQUEST_TIMEOUT_MS = 30_000;
/** The methods each path answers; other paths get a 404, other methods a 405. */
const ROUTES: Record<string, readonly string[]> = { '/chart': ['POST'], '/healthcheck': ['GET', 'HEAD'] };

/** A listening renderer; `url` is its base, e.g. http://127.0.0.1:3400. */
export type RunningRenderer = { readonly url: string; readonly host: string; readonly port: number; close(): Promise<void> };

/** Starts a renderer on host:port (port 0: any free one) and resolves once it listens; 500s are reported to `logError`. */
export async function startRendererServer(options: {
  host?: string;
  port: number;
  logError?: (line: string) => void;
}): Promise<RunningRenderer> {
  const { host = '127.0.0.1', logError = console.error } = options;
  // Slow or stalled clients must not hold a connection for Node's default 5 minutes. Node
  // itself answers malformed requests with a 400 and closes them; the server keeps serving.
  const timeouts = { requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: REQUEST_TIMEOUT_MS };
  const server = createServer(timeouts, (req, res) => {
    answer(req, res)
      .catch((error: unknown) => answerError(res, error, logError))
      // Also when the answer cannot be sent (headers gone): Node ends the process on an unhandled rejection.
      .catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(options.port, host, resolve));
  const { port } = server.address() as AddressInfo;
  const close = () =>
    new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      // close() drops idle keep-alive sockets; a busy one gets a moment to finish its answer.
      setTimeout(() => server.closeAllConnections(), 2_000).unref();
    });
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, host, port, close };
}

async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://renderer.invalid').pathname;
  const methods = ROUTES[path];
  if (!methods) throw new RequestError(`not found: ${path} (this renderer answers POST /chart and GET /healthcheck)`, 404);
  if (!methods.includes(req.method ?? '')) {
    res.setHeader('Allow', methods.join(', '));
    throw new RequestError(`method not allowed; use ${methods.join(' or ')}`, 405);
  }
  if (path === '/healthcheck') {
    // QuickChart reports its own package version; clients only look at `success`.
    sendJson(res, 200, { success: true, version: '1.0.0', chartJsVersion: Chart.version });
    return;
  }
  const text = (await readBody(req)).toString('utf8');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new RequestError(`request body is not valid JSON: ${(error as Error).message}`);
  }
  const request = parseRenderRequest(body);
  const png = await drawChart(request.chart, request);
  res.writeHead(200, { 'Content-Type': 'image/png', 'Content-Length': png.length, 'Cache-Control': 'no-store' }).end(png);
}

/**
 * Reads the body but refuses it (413) as soon as it passes MAX_BODY_BYTES: a declared
 * Content-Length before reading anything, a chunked body at the chunk that crosses it.
 */
function readBody(req: IncomingMessage): Promise<Buffer> {
  const tooLarge = new RequestError(`request body is larger than ${MAX_BODY_BYTES} bytes`, 413);
  if (Number(req.headers['content-length']) > MAX_BODY_BYTES) return Promise.reject(tooLarge);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      // Past the limit the rest is still read, and dropped, so that the 413 reaches the client.
      size += chunk.length;
      if (size > MAX_BODY_BYTES) reject(tooLarge);
      else chunks.push(chunk);
    });
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function answerError(res: ServerResponse, error: unknown, logError: (line: string) => void): void {
  const status = error instanceof RequestError ? error.status : 500;
  const reason = error instanceof Error ? error.message : String(error);
  if (status === 500) logError(`[renderer] render failed: ${error instanceof Error ? error.stack : reason}`);
  // After refusing a body we have not read, the connection cannot be reused: the
  // unread rest would be parsed as the next request.
  if (status === 413) res.setHeader('Connection', 'close');
  // Header values must be single-line Latin-1; reasons may quote user input.
  res.setHeader('X-QuickChart-Error', reason.replace(/[^\x20-\x7e]/g, '?').slice(0, 500));
  sendJson(res, status, { error: status === 500 ? `render failed: ${reason}` : reason });
}

function sendJson(res: ServerResponse, status: number, payload: unknown): void {
  const body = JSON.stringify(payload);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(body);
}
