/** Small network helpers shared by `npm start`, the bench and the tests. */
import { connect, createServer } from 'node:net';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import { waitFor } from '../toolbox/retry.js';
import { localS3, localSqs } from './localClients.js';

/**
 * Ports below every common system's ephemeral range (Linux from 32768, macOS and Windows
 * from 49152). A port the kernel hands out for bind(0) comes from that range, where any
 * outgoing connection (a test's SDK client, npm) may take it as its local port between our
 * choosing it and a child process binding it: EADDRINUSE, at random. Below it, only another
 * chooser can take it; each process walks the range from its own random start, so two
 * processes choosing at once (the test workers) stay apart.
 */
const CHOSEN_PORTS = { from: 20_000, to: 32_000 } as const;
const CHOOSING_ATTEMPTS = 50;
let nextChoice = Math.floor(Math.random() * (CHOSEN_PORTS.to - CHOSEN_PORTS.from));

/** A TCP port free on 127.0.0.1 now, outside the ephemeral range (CHOSEN_PORTS); the kernel's choice if none is found. */
export async function findFreePort(): Promise<number> {
  for (let attempt = 0; attempt < CHOOSING_ATTEMPTS; attempt += 1) {
    const port = CHOSEN_PORTS.from + (nextChoice % (CHOSEN_PORTS.to - CHOSEN_PORTS.from));
    nextChoice += 1;
    if (await canListen(port)) return port;
  }
  return await listenBriefly(0);
}

async function canListen(port: number): Promise<boolean> {
  try {
    await listenBriefly(port);
    return true;
  } catch {
    return false;
  }
}

/** Listens on 127.0.0.1:`port` (0: the kernel picks), closes, and returns the port it had. */
async function listenBriefly(port: number): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not read the port of a probe server'));
      });
    });
  });
}

/** True when something answers HTTP at `url` (any status counts: it is alive). */
export async function answersHttp(url: string, timeoutMs = 1_000): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return true;
  } catch {
    return false;
  }
}

/** Polls `url` until it answers or `timeoutMs` passes; throws with `what` in the message. */
export async function waitForHttp(url: string, what: string, timeoutMs = 30_000): Promise<void> {
  await waitFor(() => answersHttp(url, 1_000), { timeoutMs, intervalMs: 200, what: `${what} to answer at ${url}` });
}

/** True when something accepts TCP connections on `port` of `host` (whatever it speaks). */
export async function portTaken(port: number, host = '127.0.0.1', timeoutMs = 1_000): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect({ port, host });
    const done = (taken: boolean) => {
      socket.destroy();
      resolve(taken);
    };
    socket.setTimeout(timeoutMs, () => done(false)); // no connection in time: nothing reachable there
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The port a URL points at (80/443 when it names none). */
export function portOf(url: string): number {
  const parsed = new URL(url);
  return Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80));
}

/** What answers at an address: nothing, the thing we want, or something else (and how it answered). */
export type Probe = { readonly kind: 'nothing' } | { readonly kind: 'expected' } | { readonly kind: 'other'; readonly answer: string };

/**
 * Is `endpoint` an AWS emulator (moto, LocalStack) with SQS and S3? One cheap real
 * call each, SQS ListQueues and S3 ListBuckets with the dummy keys, no retries, a short
 * time-out: a plain web server, or anything else, fails them at once.
 */
export async function probeAwsEndpoint(endpoint: string, timeoutMs = 3_000): Promise<Probe> {
  if (!(await listening(endpoint))) return { kind: 'nothing' };
  const [sqs, s3] = [localSqs(endpoint, undefined, 1), localS3(endpoint, undefined, 1)];
  const call = async (what: string, send: (signal: AbortSignal) => Promise<unknown>): Promise<string | undefined> => {
    try {
      await send(AbortSignal.timeout(timeoutMs));
      return undefined;
    } catch (error) {
      return `${what} ${describeFailure(error)}`;
    }
  };
  try {
    const failures = (
      await Promise.all([
        call('SQS ListQueues', (abortSignal) => sqs.send(new ListQueuesCommand({}), { abortSignal })),
        call('S3 ListBuckets', (abortSignal) => s3.send(new ListBucketsCommand({}), { abortSignal })),
      ])
    ).filter((failure) => failure !== undefined);
    return failures.length === 0 ? { kind: 'expected' } : { kind: 'other', answer: failures.join('; ') };
  } finally {
    sqs.destroy();
    s3.destroy();
  }
}

/**
 * Is `url` a QuickChart server (QuickChart itself or the embedded renderer)? Its
 * GET /healthcheck answers 200 JSON with `success: true`, and POST /chart renders a
 * tiny chart to a PNG.
 */
export async function probeChartServer(url: string, timeoutMs = 3_000): Promise<Probe> {
  if (!(await listening(url))) return { kind: 'nothing' };
  const base = url.replace(/\/+$/, '');
  // One time budget for both calls, so a server that hangs is named within a few seconds.
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const health = await fetch(`${base}/healthcheck`, { signal });
    const body = await health.text();
    let success = false;
    try {
      success = (JSON.parse(body) as { success?: unknown }).success === true;
    } catch {
      // not JSON: not QuickChart
    }
    if (!health.ok || !success) return { kind: 'other', answer: `GET /healthcheck answered ${health.status} ${preview(body)}` };
    const chart = await fetch(`${base}/chart`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        width: 40,
        height: 30,
        format: 'png',
        chart: { type: 'bar', data: { labels: ['a'], datasets: [{ data: [1] }] } },
      }),
      signal,
    });
    const png = Buffer.from(await chart.arrayBuffer());
    if (!chart.ok || !png.subarray(0, 8).equals(PNG_SIGNATURE)) {
      return { kind: 'other', answer: `POST /chart answered ${chart.status} ${chart.headers.get('content-type') ?? ''}, not a PNG` };
    }
    return { kind: 'expected' };
  } catch (error) {
    return { kind: 'other', answer: describeFailure(error) };
  }
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Something accepts connections at the URL's host and port. */
async function listening(url: string): Promise<boolean> {
  const parsed = new URL(url);
  return await portTaken(portOf(url), parsed.hostname.replace(/^\[|\]$/g, ''));
}

function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'did not answer in time';
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const message = error.message.split('\n')[0] ?? '';
  return `failed${status ? ` (HTTP ${status})` : ''}: ${preview(message)}`;
}

function preview(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return JSON.stringify(line.length > 80 ? `${line.slice(0, 80)}…` : line);
}
