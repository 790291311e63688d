/**
 * What a process asks of AWS, counted from node's own HTTP diagnostics channels: every
 * request by `service:operation` (recordingProxy.ts's names) and by the part of the
 * bucket it touches (the id index, a log's pieces, the segments, a state file), with
 * the body bytes each way as their Content-Length headers give them, and which hours of
 * the id index were read. The history phase's children count a handler's traffic this
 * way, without a proxy in between or a hook in its client.
 */
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { BUCKET_KEYS } from '../functions/commons/storage/bucketKeys.js';
import { classifyRequest, s3Key } from './recordingProxy.js';

export interface OperationTraffic {
  readonly count: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

export interface Traffic {
  readonly requests: number;
  /** Response bodies received, bytes. */
  readonly bytesIn: number;
  /** Request bodies sent, bytes. */
  readonly bytesOut: number;
  readonly byOperation: Readonly<Record<string, OperationTraffic>>;
  /** S3 requests by the part of the bucket they touch (areaOf). */
  readonly byArea: Readonly<Record<string, OperationTraffic>>;
  /** The id index's hours read (`date=…/hour=…`), each once, sorted. */
  readonly indexHours: readonly string[];
}

export const NO_TRAFFIC: Traffic = { requests: 0, bytesIn: 0, bytesOut: 0, byOperation: {}, byArea: {}, indexHours: [] };

type Headers = Readonly<Record<string, string | readonly string[] | undefined>>;

/** `s3:GetObject`, `sqs:GetQueueAttributes`: a request by its method, path and headers. Pure. */
export function operationOf(method: string, path: string, headers: Headers): string {
  const { service, operation } = classifyRequest(method, path, headers);
  return `${service}:${operation}`;
}

/** The areas a bucket's keys fall in; any other key is its own area (the state files, metrics.json, …). */
const AREAS = [BUCKET_KEYS.idIndex, BUCKET_KEYS.metricLogPieces, BUCKET_KEYS.orphanLogPieces, 'segments/'] as const;

/** The part of the bucket a path-style S3 request touches (a listing by its prefix); undefined for none. Pure. */
export function areaOf(path: string): string | undefined {
  const url = new URL(path, 'http://bucket.invalid');
  const key = s3Key(url.pathname) ?? url.searchParams.get('prefix') ?? '';
  if (key === '') return undefined;
  return AREAS.find((area) => key.startsWith(area)) ?? key;
}

/** The id index hour (`date=2026-12-03/hour=14`) a request reads or lists, or undefined. Pure. */
export function indexHourOf(path: string): string | undefined {
  const url = new URL(path, 'http://bucket.invalid');
  const key = s3Key(url.pathname) ?? url.searchParams.get('prefix') ?? '';
  if (!key.startsWith(BUCKET_KEYS.idIndex)) return undefined;
  return /^date=\d{4}-\d{2}-\d{2}\/hour=\d{2}/.exec(key.slice(BUCKET_KEYS.idIndex.length))?.[0];
}

const add = (before: OperationTraffic | undefined, bytesIn: number, bytesOut: number): OperationTraffic => ({
  count: (before?.count ?? 0) + 1,
  bytesIn: (before?.bytesIn ?? 0) + bytesIn,
  bytesOut: (before?.bytesOut ?? 0) + bytesOut,
});

/** Adds one request to a tally. Pure. */
export function tally(
  traffic: Traffic,
  request: { readonly operation: string; readonly area?: string | undefined; readonly indexHour?: string | undefined },
  bytesIn: number,
  bytesOut: number,
): Traffic {
  const { operation, area, indexHour } = request;
  return {
    requests: traffic.requests + 1,
    bytesIn: traffic.bytesIn + bytesIn,
    bytesOut: traffic.bytesOut + bytesOut,
    byOperation: { ...traffic.byOperation, [operation]: add(traffic.byOperation[operation], bytesIn, bytesOut) },
    byArea: area === undefined ? traffic.byArea : { ...traffic.byArea, [area]: add(traffic.byArea[area], bytesIn, bytesOut) },
    indexHours:
      indexHour === undefined || traffic.indexHours.includes(indexHour) ? traffic.indexHours : [...traffic.indexHours, indexHour].sort(),
  };
}

const lengthOf = (value: unknown): number => {
  const number = Number(Array.isArray(value) ? value[0] : value);
  return Number.isFinite(number) && number > 0 ? number : 0;
};

const headerText = (value: unknown): string | undefined => (value === undefined ? undefined : String(value));

/** Counts this process's HTTP requests from `start()` on; `take()` hands over the tally so far and starts a new one. */
export class HttpTraffic {
  #traffic: Traffic = NO_TRAFFIC;
  #started = false;

  start(): void {
    if (this.#started) return;
    this.#started = true;
    subscribe('http.client.response.finish', (message) => {
      const { request, response } = message as { request: ClientRequest; response: IncomingMessage };
      const sent = lengthOf(request.getHeader('x-amz-decoded-content-length') ?? request.getHeader('content-length'));
      const headers = {
        'x-amz-target': headerText(request.getHeader('x-amz-target')),
        authorization: headerText(request.getHeader('authorization')),
      };
      const operation = operationOf(request.method, request.path, headers);
      const s3 = operation.startsWith('s3:');
      this.#traffic = tally(
        this.#traffic,
        { operation, area: s3 ? areaOf(request.path) : undefined, indexHour: s3 ? indexHourOf(request.path) : undefined },
        lengthOf(response.headers['content-length']),
        sent,
      );
    });
  }

  take(): Traffic {
    const traffic = this.#traffic;
    this.#traffic = NO_TRAFFIC;
    return traffic;
  }
}
