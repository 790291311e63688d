/**
 * A QuickChart-compatible HTTP server (the part of its API the pipeline uses):
 *   POST /chart        -> 200 image/png
 *   GET  /healthcheck  -> 200 {"success":true,"version":...}
 * Bad input gets a 4xx JSON `{ "error": reason }`, render failures a 500 JSON; the
 * reason is also sent in `X-QuickChart-Error`, which quickchart-js puts into the
 * message of the error it throws. It binds 127.0.0.1 unless told otherwise: it
 * renders whatever it is sent, so it is a local development tool, not a service.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Chart } from 'chart.js';
import {
  ensureChartEnvironment,
  MAX_BODY_BYTES,
  parseRenderRequestBody,
  RENDERER_VERSION,
  RenderRequestError,
  renderChart,
} from './render.js';

/** Slow or stalled clients must not hold a connection open for Node's default 5 minutes. */
export const REQUEST_TIMEOUT_MS = 30_000;

export interface RendererServerOptions {
  /** Where render failures (500s) are reported; defaults to console.error. */
  readonly logError?: (line: string) => void;
}

export interface RunningRenderer {
  /** Base URL, e.g. http://127.0.0.1:3400 */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function createRendererServer(options: RendererServerOptions = {}): Server {
  const logError = options.logError ?? ((line: string) => console.error(line));
  ensureChartEnvironment();
  const server = createServer((req, res) => {
    handleRequest(req, res)
      .catch((error: unknown) => answerError(res, error, logError))
      // Node ends the process on an unhandled rejection; one broken response must not do that.
      .catch(() => res.destroy());
  });
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.headersTimeout = Math.min(server.headersTimeout, REQUEST_TIMEOUT_MS);
  // A client that drops the connection mid-request must not take the server down.
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  return server;
}

/** Starts a renderer on host:port (port 0 = any free port) and resolves once it listens. */
export async function startRendererServer(options: { host?: string; port: number } & RendererServerOptions): Promise<RunningRenderer> {
  const host = options.host ?? '127.0.0.1';
  const server = createRendererServer(options);
  await listen(server, host, options.port);
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return { url: `http://${urlHost}:${port}`, host, port, close: () => closeServer(server) };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Stops accepting, drops idle keep-alive sockets, and force-closes stragglers after a grace period. */
function closeServer(server: Server, graceMs = 2_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const force = setTimeout(() => server.closeAllConnections(), graceMs);
    force.unref();
    server.close((error) => {
      clearTimeout(force);
      if (error) reject(error);
      else resolve();
    });
    server.closeIdleConnections();
  });
}

async function handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://renderer.invalid').pathname;
  if (path === '/chart') {
    requireMethod(req, 'POST');
    await answerChart(req, res);
    return;
  }
  if (path === '/healthcheck') {
    requireMethod(req, 'GET', 'HEAD');
    sendJson(res, 200, { success: true, version: RENDERER_VERSION, chartJsVersion: Chart.version });
    return;
  }
  throw new HttpError(404, `not found: ${path} (this renderer answers POST /chart and GET /healthcheck)`);
}

function requireMethod(req: IncomingMessage, ...allowed: string[]): void {
  if (allowed.includes(req.method ?? '')) return;
  throw new MethodNotAllowed(allowed);
}

class MethodNotAllowed extends HttpError {
  constructor(readonly allowed: string[]) {
    super(405, `method not allowed; use ${allowed.join(' or ')}`);
  }
}

async function answerChart(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req, MAX_BODY_BYTES);
  const request = parseRenderRequestBody(body);
  const png = await renderChart(request);
  res.writeHead(200, { 'Content-Type': 'image/png', 'Content-Length': png.length, 'Cache-Control': 'no-store' });
  res.end(png);
}

/**
 * Reads the body but gives up as soon as it passes `limit`: a declared
 * Content-Length over the limit is refused before reading anything, and a chunked
 * body is cut off at the first chunk that crosses it.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () => new HttpError(413, `request body is larger than ${limit} bytes`);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) {
        req.off('data', onData);
        chunks.length = 0;
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function answerError(res: ServerResponse, error: unknown, logError: (line: string) => void): void {
  const status = statusOf(error);
  const reason = error instanceof Error ? error.message : String(error);
  if (status >= 500) logError(`[renderer] render failed: ${error instanceof Error ? (error.stack ?? reason) : reason}`);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string | number> = { 'X-QuickChart-Error': headerSafe(reason) };
  if (error instanceof MethodNotAllowed) headers.Allow = error.allowed.join(', ');
  // After refusing a body we have not read, the connection cannot be reused: the
  // unread rest would be parsed as the next request.
  if (status === 413) headers.Connection = 'close';
  sendJson(res, status, { error: status >= 500 ? `render failed: ${reason}` : reason }, headers);
}

function statusOf(error: unknown): number {
  if (error instanceof HttpError || error instanceof RenderRequestError) return error.status;
  return 500;
}

function sendJson(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string | number> = {}): void {
  const body = JSON.stringify(payload);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(body);
}

/** Header values must be single-line Latin-1; reasons may quote user input. */
function headerSafe(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 500);
}
