/**
 * A counting HTTP proxy in front of the emulator: the stack's AWS_ENDPOINT_URL, so
 * every request the functions and plugins make passes here and is counted by
 * `service:operation` (with body bytes each way), while bodies stream straight
 * through. It also watches metric-log segment writes, the moment each row becomes
 * durable, for the latency figures.
 *
 * Built on node:http with a keep-alive agent to the emulator: the proxy runs in the
 * bench's own process and must not be what limits the pipeline.
 */
import { Agent, createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { actionFromFormBody, classifyRequest, s3Location } from './classify.js';
import { decodeAwsChunked, idsInSegment, isAwsChunked, isMetricSegmentKey } from './segments.js';

export interface OperationStats {
  count: number;
  /** Body bytes, as sent on the wire (headers not counted). */
  requestBytes: number;
  responseBytes: number;
  /** By HTTP status; `error` when the emulator could not be reached, `aborted` when the client gave up first. */
  statuses: Record<string, number>;
  /** Time from the request's arrival to the end of the response (or the abort), summed and worst. */
  totalMs: number;
  maxMs: number;
}

export interface SegmentWrite {
  readonly key: string;
  /** Epoch ms when the proxy saw S3's 200 for the write. */
  readonly seenAt: number;
  readonly ids: readonly string[];
}

export interface RecordingProxyOptions {
  /** The emulator, e.g. http://127.0.0.1:4566. */
  readonly target: string;
  readonly port?: number;
  readonly host?: string;
  readonly onSegmentWrite?: (write: SegmentWrite) => void;
}

/** Hop-by-hop headers belong to one connection; each side of the proxy has its own. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

function withoutHopByHop(rawHeaders: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    if (!HOP_BY_HOP.has(name.toLowerCase())) kept.push(name, rawHeaders[i + 1] as string);
  }
  return kept;
}

export class RecordingProxy {
  readonly url: string;
  readonly #server: Server;
  readonly #agent: Agent;
  readonly #target: URL;
  /** Who is told about metric-log segment writes; settable, since the pipeline phase starts after the proxy. */
  onSegmentWrite: ((write: SegmentWrite) => void) | undefined;
  #stats = new Map<string, OperationStats>();
  #inFlight = 0;
  /** Requests not answered yet, for spotting ones the emulator sits on. */
  readonly #pending = new Map<number, { operation: string; arrived: number }>();
  #nextRequest = 0;

  private constructor(server: Server, agent: Agent, target: URL, url: string, onSegmentWrite: RecordingProxyOptions['onSegmentWrite']) {
    this.#server = server;
    this.#agent = agent;
    this.#target = target;
    this.url = url;
    this.onSegmentWrite = onSegmentWrite;
  }

  static async start(options: RecordingProxyOptions): Promise<RecordingProxy> {
    const target = new URL(options.target);
    // Many sockets: features sends ~100 batches at once, and moto serves each on a thread.
    const agent = new Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256, keepAliveMsecs: 10_000 });
    const server = createServer();
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => resolve());
    });
    // Idle client connections are never closed by the proxy, as moto (werkzeug) never closes
    // them: a server closing an idle keep-alive socket races with a client reusing it.
    server.keepAliveTimeout = 0;
    const port = (server.address() as AddressInfo).port;
    const proxy = new RecordingProxy(server, agent, target, `http://${host}:${port}`, options.onSegmentWrite);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => proxy.#handle(req, res));
    return proxy;
  }

  /** Counts by `service:operation` since the last reset, sorted by count (most first). */
  counts(): Record<string, OperationStats> {
    const entries = [...this.#stats.entries()].sort((a, b) => b[1].count - a[1].count);
    return Object.fromEntries(entries.map(([name, stats]) => [name, { ...stats, statuses: { ...stats.statuses } }]));
  }

  totalRequests(): number {
    let total = 0;
    for (const stats of this.#stats.values()) total += stats.count;
    return total;
  }

  /** Requests counted so far whose responses have not finished yet. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Requests in flight for longer than `ms`, oldest first, with their age in ms. */
  stuck(ms: number, now = performance.now()): { operation: string; ageMs: number }[] {
    return [...this.#pending.values()]
      .filter((entry) => now - entry.arrived > ms)
      .map((entry) => ({ operation: entry.operation, ageMs: now - entry.arrived }))
      .sort((a, b) => b.ageMs - a.ageMs);
  }

  reset(): void {
    this.#stats = new Map();
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#agent.destroy();
  }

  #record(operation: string, status: string, requestBytes: number, responseBytes: number, ms: number): void {
    let stats = this.#stats.get(operation);
    if (stats === undefined) {
      stats = { count: 0, requestBytes: 0, responseBytes: 0, statuses: {}, totalMs: 0, maxMs: 0 };
      this.#stats.set(operation, stats);
    }
    stats.count++;
    stats.totalMs += ms;
    stats.maxMs = Math.max(stats.maxMs, ms);
    stats.requestBytes += requestBytes;
    stats.responseBytes += responseBytes;
    stats.statuses[status] = (stats.statuses[status] ?? 0) + 1;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    this.#inFlight++;
    const arrived = performance.now();
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const classified = classifyRequest({ method, url, headers: req.headers });
    const location = classified.service === 's3' ? s3Location(url) : undefined;
    const segmentKey = classified.operation === 'PutObject' && isMetricSegmentKey(location?.key) ? location?.key : undefined;
    // Bodies are kept only where the bench must read them (segments, query-protocol SQS).
    const keepBody = (segmentKey !== undefined && this.onSegmentWrite !== undefined) || classified.needsFormBody;
    const chunks: Buffer[] = [];
    let requestBytes = 0;
    let responseBytes = 0;
    let done = false;
    const operationName = (): string => {
      if (!classified.needsFormBody) return `${classified.service}:${classified.operation}`;
      return `${classified.service}:${actionFromFormBody(Buffer.concat(chunks).toString('utf8')) ?? 'unknown'}`;
    };
    const requestNumber = this.#nextRequest++;
    this.#pending.set(requestNumber, { operation: `${classified.service}:${classified.operation}`, arrived });
    const finish = (status: string) => {
      if (done) return;
      done = true;
      this.#inFlight--;
      this.#pending.delete(requestNumber);
      this.#record(operationName(), status, requestBytes, responseBytes, performance.now() - arrived);
    };

    const headers = { ...req.headers };
    delete headers.connection;
    delete headers['keep-alive'];
    const upstream = httpRequest(
      {
        agent: this.#agent,
        protocol: this.#target.protocol,
        hostname: this.#target.hostname,
        port: this.#target.port,
        method,
        path: url,
        headers,
      },
      (response) => {
        const status = response.statusCode ?? 502;
        if (segmentKey !== undefined && status === 200) this.#segmentWritten(segmentKey, req, chunks);
        res.writeHead(status, response.statusMessage, withoutHopByHop(response.rawHeaders));
        response.on('data', (chunk: Buffer) => {
          responseBytes += chunk.length;
        });
        response.on('end', () => finish(String(status)));
        response.on('error', () => finish('error'));
        response.pipe(res);
      },
    );
    upstream.on('error', (error) => {
      finish('error');
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`recording proxy: ${error.message}`);
      } else {
        res.destroy(error);
      }
    });
    req.on('data', (chunk: Buffer) => {
      requestBytes += chunk.length;
      if (keepBody) chunks.push(chunk);
    });
    // A client that gives up must not leave the upstream request hanging.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
      finish('aborted');
    });
    req.pipe(upstream);
  }

  #segmentWritten(key: string, req: IncomingMessage, chunks: readonly Buffer[]): void {
    if (this.onSegmentWrite === undefined) return;
    const seenAt = Date.now();
    let body: Buffer = Buffer.concat(chunks);
    try {
      if (isAwsChunked(req.headers)) body = decodeAwsChunked(body);
    } catch {
      // Not chunked after all: read it as it came.
    }
    this.onSegmentWrite({ key, seenAt, ids: idsInSegment(body.toString('utf8')) });
  }
}
