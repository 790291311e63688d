/**
 * Exactly once at any distance, with nothing held or read that grows with history.
 *
 * Every id a log takes is filed under the hour of its anchor time (pieces.ts
 * `anchorOf`: when its prediction was made, or when `features` emitted it), in small
 * objects under state/ids/date=…/hour=…/. A row or a late half is looked for under its
 * own anchor hour: one hour's ids, read once and kept while warm, whatever the log's
 * length. The recent hours (RECENT_HOURS) are also searched for every id, which
 * covers the halves that carry no prediction time (a true answer sent alone) while
 * they can still be in flight.
 *
 * So a late copy of any half whose prediction time is known is caught at any distance;
 * one without (a true answer alone, of an id whose prediction came through the API
 * without its `timestamp`) within the recent hours. See docs/how-it-works.md, Exactly once.
 */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { BUCKET_KEYS } from '../storage/bucketKeys.js';
import { getText, putObject } from '../storage/s3Objects.js';
import { hourOf, hourPartition } from './pieces.js';

const HOUR_MS = 60 * 60 * 1000;
/** Hours before the current one searched for every id, whatever its anchor. */
export const RECENT_HOURS = 2;
/** Older hours kept in memory once read (the least recently used let go first). */
const CACHED_HOURS = 8;
/** Objects read at once when an hour is loaded. */
const READ_CONCURRENCY = 16;

export interface Filed {
  readonly id: string;
  /** Epoch ms: its anchor time (pieces.ts anchorOf). */
  readonly anchor: number;
}

export class IdIndex {
  readonly #s3: S3Client;
  readonly #bucket: string;
  /** Loaded hours, by start; Map order is the use order. */
  readonly #hours = new Map<number, Set<string>>();

  constructor(options: { s3: S3Client; bucket: string }) {
    this.#s3 = options.s3;
    this.#bucket = options.bucket;
  }

  /** Hours currently held: for the bench and the tests. */
  get loadedHours(): number {
    return this.#hours.size;
  }

  /** Loads the hours `has` will look in for these anchors (and the recent ones), so it can answer at once. */
  async prepare(anchors: Iterable<number>, now: number): Promise<void> {
    const wanted = new Set(this.#recent(now));
    for (const anchor of anchors) wanted.add(hourOf(anchor));
    const missing = [...wanted].filter((hour) => !this.#hours.has(hour));
    for (let i = 0; i < missing.length; i += 4) await Promise.all(missing.slice(i, i + 4).map((hour) => this.#load(hour)));
    this.#evict(now, wanted);
  }

  /** Whether `id` is in a log: filed under its anchor's hour, or under a recent one. Needs `prepare` first. */
  has(id: string, anchor: number, now: number): boolean {
    const own = this.#hours.get(hourOf(anchor));
    if (own?.has(id)) return true;
    return this.#recent(now).some((hour) => this.#hours.get(hour)?.has(id));
  }

  /** Files ids a log has just taken (one object per anchor hour); `loggedAt` and `tag` name the objects uniquely. */
  async add(filed: readonly Filed[], loggedAt: number, tag: string): Promise<void> {
    const byHour = new Map<number, string[]>();
    for (const { id, anchor } of filed) {
      const hour = hourOf(anchor);
      const ids = byHour.get(hour) ?? [];
      ids.push(id);
      byHour.set(hour, ids);
    }
    await Promise.all(
      [...byHour].map(async ([hour, ids]) => {
        const key = `${BUCKET_KEYS.idIndex}${hourPartition(hour)}${loggedAt}-${tag}.txt`;
        await putObject(this.#s3, this.#bucket, key, `${ids.join('\n')}\n`, 'text/plain');
        const held = this.#hours.get(hour);
        if (held !== undefined) for (const id of ids) held.add(id);
      }),
    );
  }

  #recent(now: number): number[] {
    return Array.from({ length: RECENT_HOURS + 1 }, (_, i) => hourOf(now) - i * HOUR_MS);
  }

  async #load(hour: number): Promise<void> {
    const prefix = `${BUCKET_KEYS.idIndex}${hourPartition(hour)}`;
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.#s3.send(new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: prefix, ContinuationToken: token }));
      for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    const ids = new Set<string>();
    for (let i = 0; i < keys.length; i += READ_CONCURRENCY) {
      const texts = await Promise.all(keys.slice(i, i + READ_CONCURRENCY).map((key) => getText(this.#s3, this.#bucket, key)));
      for (const text of texts) for (const id of (text?.text ?? '').split('\n')) if (id !== '') ids.add(id);
    }
    this.#hours.set(hour, ids);
  }

  /** Lets go of the least recently used old hours beyond CACHED_HOURS; the recent and the wanted ones stay. */
  #evict(now: number, wanted: Set<number>): void {
    for (const hour of wanted) {
      const ids = this.#hours.get(hour);
      if (ids === undefined) continue;
      this.#hours.delete(hour);
      this.#hours.set(hour, ids);
    }
    const keep = new Set([...this.#recent(now), ...wanted]);
    const old = [...this.#hours.keys()].filter((hour) => !keep.has(hour));
    for (const hour of old.slice(0, Math.max(0, old.length - CACHED_HOURS))) this.#hours.delete(hour);
  }
}
