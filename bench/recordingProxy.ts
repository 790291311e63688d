/**
 * A counting HTTP proxy in front of the emulator and of serverless-offline's Lambda
 * API. The stack's AWS_ENDPOINT_URL points here, so every SQS and S3 request the
 * functions and plugins make is counted by `service:operation` (with body bytes each
 * way); the event source and the bench invoke the functions through it too, so every
 * invocation is counted by function, with its time, its batch of messages and whether
 * it failed or timed out. Bodies stream straight through; only Invoke bodies and
 * metric-log segment writes are read (the latter are the moment each row becomes
 * durable, for the latency figures).
 *
 * Built on node:http with a keep-alive agent: the proxy runs in the bench's own
 * process and must not be what limits the pipeline.
 */
import { Agent, createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isRecord } from '../infra/local/toolbox/isRecord.js';
import { decodeAwsChunked, idsInSegment, isAwsChunked, isMetricSegmentKey } from './segments.js';

/** The variable the event source takes its Lambda endpoint from when set (infra/local/event-source/plugin.ts): the stack's runs set it to the proxy. */
export const INVOKE_VIA = 'ML_MONITOR_INVOKE_VIA';

export interface OperationStats {
  count: number;
  /** Body bytes, as sent on the wire (headers not counted). */
  requestBytes: number;
  responseBytes: number;
  /** By HTTP status; `error` when the upstream could not be reached, `aborted` when the client gave up first. */
  statuses: Record<string, number>;
}

export interface InvocationStats {
  count: number;
  /** Time from the Invoke request's arrival to the end of its answer, summed. */
  totalMs: number;
  /** Invocations that ended in a function error (the handler threw, or timed out) or no answer. */
  errors: number;
  /** Of those, serverless-offline's "[504] - Lambda timeout." */
  timeouts: number;
  /** Invocations with an SQS event, and the messages in them. */
  batches: number;
  messages: number;
  /** Invocations with an SQS event that failed whole: the event source leaves their messages to come back. */
  failedBatches: number;
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
  /** serverless-offline's Lambda API, where Invoke requests go (settable later with routeInvocations). */
  readonly lambdaTarget?: string;
  readonly onSegmentWrite?: (write: SegmentWrite) => void;
  /**
   * Keep connections to `target` open between requests (default true). False for
   * serverless-offline's HTTP port (the api phase): its server closes an idle socket
   * after 5 s, and a request sent on one as it closes fails.
   */
  readonly keepAlive?: boolean;
}

export interface Classified {
  readonly service: string;
  readonly operation: string;
  /** The function an Invoke names. */
  readonly functionName?: string;
}

type Headers = Readonly<Record<string, string | readonly string[] | undefined>>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : (value as string | undefined);
}

/** `sqs` from `AWS4-HMAC-SHA256 Credential=test/20261126/us-east-1/sqs/aws4_request, ...`. */
export function serviceFromCredentialScope(authorization: string | undefined): string | undefined {
  const parts = /Credential=([^,\s]+)/.exec(authorization ?? '')?.[1]?.split('/');
  return parts !== undefined && parts.length >= 5 && parts.at(-1) === 'aws4_request' ? parts.at(-2) : undefined;
}

function splitUrl(url: string): { path: string; query: URLSearchParams } {
  const at = url.indexOf('?');
  return at < 0 ? { path: url, query: new URLSearchParams() } : { path: url.slice(0, at), query: new URLSearchParams(url.slice(at + 1)) };
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;
const capital = (word: string) => word.charAt(0).toUpperCase() + word.slice(1).toLowerCase();
/** The S3 operations of a path-style request without a sub-resource, by method and level. */
const S3_OPERATIONS: Readonly<Record<string, string>> = {
  'GET bucket': 'ListObjects',
  'HEAD bucket': 'HeadBucket',
  'PUT bucket': 'CreateBucket',
  'DELETE bucket': 'DeleteBucket',
  'GET object': 'GetObject',
  'PUT object': 'PutObject',
  'HEAD object': 'HeadObject',
  'DELETE object': 'DeleteObject',
};

/** The S3 operation of a path-style request: the pipeline's object calls by name, a bucket's sub-resources as Put/GetBucket<Name>. */
export function s3Operation(method: string, path: string, query: URLSearchParams): string {
  const trimmed = path.replace(/^\/+/, '');
  if (trimmed === '') return method === 'GET' ? 'ListBuckets' : `${method} /`;
  const level = trimmed.includes('/') && !trimmed.endsWith('/') ? 'object' : 'bucket';
  if (level === 'bucket') {
    if (query.get('list-type') === '2') return 'ListObjectsV2';
    if (query.has('delete')) return 'DeleteObjects';
    const subresource = [...query.keys()][0];
    if (subresource !== undefined) return `${capital(method)}Bucket${subresource.charAt(0).toUpperCase()}${subresource.slice(1)}`;
  }
  return S3_OPERATIONS[`${method} ${level}`] ?? `${method} ${level}`;
}

/** Names a request: SQS by its X-Amz-Target (the SDK's JSON protocol), S3 by method and path, the Lambda API's Invoke by its path. Pure. */
export function classifyRequest(method: string, url: string, headers: Headers): Classified {
  const { path, query } = splitUrl(url);
  const invoked = INVOKE_PATH.exec(path)?.[1];
  if (invoked !== undefined) return { service: 'lambda', operation: 'Invoke', functionName: decodeURIComponent(invoked) };
  const target = header(headers, 'x-amz-target');
  if (target?.startsWith('AmazonSQS.')) return { service: 'sqs', operation: target.slice('AmazonSQS.'.length) };
  const service = serviceFromCredentialScope(header(headers, 'authorization')) ?? 'unknown';
  if (service === 's3') return { service, operation: s3Operation(method.toUpperCase(), path, query) };
  return { service, operation: query.get('Action') ?? `${method} ${path}` };
}

/** The key of a path-style S3 URL (`/bucket/a%20b.csv` → `a b.csv`), undefined for bucket-level requests. */
export function s3Key(url: string): string | undefined {
  const key = splitUrl(url).path.replace(/^\/+[^/]*\/?/, '');
  return key === '' ? undefined : decodeURIComponent(key);
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
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

/** Function errors kept, so a report can say what went wrong. */
const ERRORS_KEPT = 50;

export class RecordingProxy {
  readonly url: string;
  readonly #server: Server;
  readonly #agent: Agent;
  /**
   * A connection per invocation to serverless-offline: its server closes an idle
   * keep-alive socket after 5 s, and an invocation sent on a socket as it closes fails
   * (the event source then leaves the batch to the visibility timeout).
   */
  readonly #lambdaAgent = new Agent({ keepAlive: false });
  readonly #target: URL;
  #lambdaTarget: URL | undefined;
  /** Who is told about metric-log segment writes; settable, since the pipeline phase starts after the proxy. */
  onSegmentWrite: ((write: SegmentWrite) => void) | undefined;
  #stats = new Map<string, OperationStats>();
  #invocations = new Map<string, InvocationStats>();
  #errors: string[] = [];
  /** Requests not answered yet, for spotting ones the emulator sits on. */
  readonly #pending = new Map<number, { operation: string; arrived: number }>();
  #nextRequest = 0;

  private constructor(server: Server, agent: Agent, options: RecordingProxyOptions, url: string) {
    this.#server = server;
    this.#agent = agent;
    this.#target = new URL(options.target);
    this.#lambdaTarget = options.lambdaTarget === undefined ? undefined : new URL(options.lambdaTarget);
    this.url = url;
    this.onSegmentWrite = options.onSegmentWrite;
  }

  static async start(options: RecordingProxyOptions): Promise<RecordingProxy> {
    // Many sockets: features sends ~100 batches at once, and moto serves each on a thread.
    const agent = new Agent({ keepAlive: options.keepAlive ?? true, maxSockets: 256, maxFreeSockets: 256, keepAliveMsecs: 10_000 });
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    // Idle client connections are never closed by the proxy, as moto (werkzeug) never closes
    // them: a server closing an idle keep-alive socket races with a client reusing it.
    server.keepAliveTimeout = 0;
    const proxy = new RecordingProxy(server, agent, options, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => proxy.#handle(req, res));
    return proxy;
  }

  /** Sends Invoke requests to this Lambda API from now on. */
  routeInvocations(lambdaTarget: string): void {
    this.#lambdaTarget = new URL(lambdaTarget);
  }

  /** SQS and S3 requests by `service:operation` since the last reset, most first. */
  counts(): Record<string, OperationStats> {
    const entries = [...this.#stats.entries()].sort((a, b) => b[1].count - a[1].count);
    return Object.fromEntries(entries.map(([name, stats]) => [name, { ...stats, statuses: { ...stats.statuses } }]));
  }

  totalRequests(): number {
    let total = 0;
    for (const stats of this.#stats.values()) total += stats.count;
    return total;
  }

  /** Invocations by the function name they were invoked with, since the last reset. */
  invocations(): Record<string, InvocationStats> {
    return Object.fromEntries([...this.#invocations.entries()].map(([name, stats]) => [name, { ...stats }]));
  }

  /** `function: message` of the failed invocations since the last reset, the first 50. */
  errors(): readonly string[] {
    return [...this.#errors];
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
    this.#invocations = new Map();
    this.#errors = [];
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#agent.destroy();
    this.#lambdaAgent.destroy();
  }

  #record(operation: string, status: string, requestBytes: number, responseBytes: number): void {
    let stats = this.#stats.get(operation);
    if (stats === undefined) {
      stats = { count: 0, requestBytes: 0, responseBytes: 0, statuses: {} };
      this.#stats.set(operation, stats);
    }
    stats.count++;
    stats.requestBytes += requestBytes;
    stats.responseBytes += responseBytes;
    stats.statuses[status] = (stats.statuses[status] ?? 0) + 1;
  }

  #recordInvocation(functionName: string, ms: number, event: Buffer, answer: Buffer, failure: string | undefined): void {
    let stats = this.#invocations.get(functionName);
    if (stats === undefined) {
      stats = { count: 0, totalMs: 0, errors: 0, timeouts: 0, batches: 0, messages: 0, failedBatches: 0 };
      this.#invocations.set(functionName, stats);
    }
    stats.count++;
    stats.totalMs += ms;
    const records = (parseJson(event) as { Records?: unknown } | undefined)?.Records;
    if (Array.isArray(records)) {
      stats.batches++;
      stats.messages += records.length;
    }
    if (failure === undefined) return;
    if (Array.isArray(records)) stats.failedBatches++;
    const payload = parseJson(answer);
    const message = isRecord(payload) && typeof payload.errorMessage === 'string' ? payload.errorMessage : failure;
    stats.errors++;
    if (message.includes('Lambda timeout')) stats.timeouts++;
    if (this.#errors.length < ERRORS_KEPT) this.#errors.push(`${functionName}: ${message}`);
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const arrived = performance.now();
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const classified = classifyRequest(method, url, req.headers);
    const operation = `${classified.service}:${classified.operation}`;
    const invoked = classified.functionName;
    const target = invoked === undefined ? this.#target : this.#lambdaTarget;
    const segmentKey = operation === 's3:PutObject' && this.onSegmentWrite !== undefined ? s3Key(url) : undefined;
    // Bodies are kept only where the bench must read them: Invoke events and answers, metric-log segments.
    const keepBody = invoked !== undefined || isMetricSegmentKey(segmentKey);
    const requestChunks: Buffer[] = [];
    const responseChunks: Buffer[] = [];
    let requestBytes = 0;
    let responseBytes = 0;
    let done = false;
    const requestNumber = this.#nextRequest++;
    this.#pending.set(requestNumber, { operation, arrived });
    const finish = (status: string, functionError?: string) => {
      if (done) return;
      done = true;
      this.#pending.delete(requestNumber);
      if (invoked === undefined) return this.#record(operation, status, requestBytes, responseBytes);
      const failure = functionError ?? (status === '200' ? undefined : `answered ${status}`);
      this.#recordInvocation(invoked, performance.now() - arrived, Buffer.concat(requestChunks), Buffer.concat(responseChunks), failure);
    };
    if (target === undefined) {
      finish('error');
      res.writeHead(502, { 'content-type': 'text/plain' }).end('recording proxy: no Lambda API to send invocations to');
      return;
    }

    const headers = { ...req.headers };
    delete headers.connection;
    delete headers['keep-alive'];
    const upstream = httpRequest(
      {
        agent: invoked === undefined ? this.#agent : this.#lambdaAgent,
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        method,
        path: url,
        headers,
      },
      (response) => {
        const status = response.statusCode ?? 502;
        if (segmentKey !== undefined && keepBody && status === 200) this.#segmentWritten(segmentKey, req, requestChunks);
        const functionError = response.headers['x-amz-function-error'];
        res.writeHead(status, response.statusMessage, withoutHopByHop(response.rawHeaders));
        response.on('data', (chunk: Buffer) => {
          responseBytes += chunk.length;
          if (invoked !== undefined) responseChunks.push(chunk);
        });
        response.on('end', () => finish(String(status), typeof functionError === 'string' ? functionError : undefined));
        response.on('error', () => finish('error'));
        response.pipe(res);
      },
    );
    upstream.on('error', (error) => {
      finish('error');
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end(`recording proxy: ${error.message}`);
      else res.destroy(error);
    });
    req.on('data', (chunk: Buffer) => {
      requestBytes += chunk.length;
      if (keepBody) requestChunks.push(chunk);
    });
    // A client that gives up must not leave the upstream request hanging.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
      finish('aborted');
    });
    req.pipe(upstream);
  }

  #segmentWritten(key: string, req: IncomingMessage, chunks: readonly Buffer[]): void {
    let body: Buffer = Buffer.concat(chunks);
    try {
      if (isAwsChunked(req.headers)) body = decodeAwsChunked(body);
    } catch {
      // Not chunked after all: read it as it came.
    }
    this.onSegmentWrite?.({ key, seenAt: Date.now(), ids: idsInSegment(body.toString('utf8')) });
  }
}
