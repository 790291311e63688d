/**
 * Predictions' inputs, kept apart from the join table. `metric` rewrites the table on
 * every batch, and inputs ride with a prediction until its label comes, so inputs in
 * the table would make every batch pay for every prediction still waiting (measured:
 * 1.7× per record with 1,000 waiting). Instead `metric` files the inputs of each
 * batch's predictions once, as an object of their own written before the batch joins
 * anything, and `maintain` reads each filing once into its inputs book (by id, the
 * first filing of an id kept) and looks each row and orphaned prediction up there as
 * the logs take it, exactly once, as the logs do. A prediction still waiting finds its
 * inputs there too.
 *
 * The filings themselves are the book's lasting form: a filing is deleted once every
 * id in it has been taken (or has expired), and a cold start reads the filings still
 * there. Nothing is rewritten each minute, so a run's cost follows what came in, not
 * how many predictions wait. An id read again at a cold start after its line reached a
 * log is never taken a second time (its line is not appended again): it waits for its
 * expiry, INPUTS_KEPT_AFTER_TTL_MS past the orphans' TTL, like an entry whose
 * prediction never reaches a log (a late duplicate of a logged id).
 */
import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { BUCKET_KEYS } from '../storage/bucketKeys.js';
import { getText, putObject } from '../storage/s3Objects.js';
import type { FeatureValue, FeatureValues } from './modelReference.js';

/** An id's inputs: what it was predicted from, and when the filing came (epoch ms). */
export interface PredictionInputs {
  readonly id: string;
  readonly features: FeatureValues;
  readonly filedAt: number;
}

/**
 * One filing as stored: the batch's feature names once, then a row per prediction (its
 * id, then its values in the names' order, null where it gave none). Arrays, not an
 * object per prediction: a third of the bytes, and quicker to write and to read.
 */
interface StoredFiling {
  readonly version: 2;
  readonly filedAt: number;
  readonly names: readonly string[];
  readonly rows: readonly (readonly [string, ...(FeatureValue | null)[]])[];
}

/** Filings read at once. */
const READ_CONCURRENCY = 16;

/** How long past the orphans' TTL an entry no log took waits before it leaves. */
export const INPUTS_KEPT_AFTER_TTL_MS = 60 * 60_000;

/** The key of one filing: its time first, so keys list in the order they were filed. */
export function inputsKey(filedAt: number, unique: string): string {
  return `${BUCKET_KEYS.inputSegments}${String(filedAt).padStart(15, '0')}-${unique}.json`;
}

/** One batch's inputs as a filing's text. */
export function filingText(inputs: readonly { readonly id: string; readonly features: FeatureValues }[], filedAt: number): string {
  const names = [...new Set(inputs.flatMap(({ features }) => Object.keys(features)))];
  const rows = inputs.map(({ id, features }) => [id, ...names.map((name) => features[name] ?? null)]);
  return JSON.stringify({ version: 2, filedAt, names, rows });
}

/** Files one batch's inputs (metric). */
export async function fileInputs(
  s3: S3Client,
  bucket: string,
  inputs: readonly { readonly id: string; readonly features: FeatureValues }[],
  filedAt: number,
  unique: string,
): Promise<void> {
  await putObject(s3, bucket, inputsKey(filedAt, unique), filingText(inputs, filedAt), 'application/json');
}

/**
 * A filing's inputs; undefined when the text is none. Reads this version's filings and
 * the earlier forms still in a bucket from before it: a list of inputs (a filing), and
 * `{ version: 1, inputs }` (the inputs book once stored whole at BUCKET_KEYS.inputsBook).
 */
export function readFiling(text: string): PredictionInputs[] | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const stored = value as { version?: unknown; filedAt?: unknown; names?: unknown; rows?: unknown; inputs?: unknown } | null;
  if (stored?.version === 2 && Array.isArray(stored.names) && Array.isArray(stored.rows) && typeof stored.filedAt === 'number') {
    return filingInputs(stored as unknown as StoredFiling);
  }
  const list = Array.isArray(value) ? value : stored?.version === 1 && Array.isArray(stored.inputs) ? stored.inputs : undefined;
  return list?.filter(
    (item): item is PredictionInputs =>
      typeof item?.id === 'string' && typeof item.features === 'object' && item.features !== null && typeof item.filedAt === 'number',
  );
}

function filingInputs({ filedAt, names, rows }: StoredFiling): PredictionInputs[] {
  const inputs: PredictionInputs[] = [];
  for (const row of rows) {
    if (!Array.isArray(row) || typeof row[0] !== 'string') continue;
    const features: Record<string, FeatureValue> = {};
    names.forEach((name, i) => {
      const value = row[i + 1];
      if (typeof name === 'string' && (typeof value === 'number' || typeof value === 'string')) features[name] = value;
    });
    inputs.push({ id: row[0], features, filedAt });
  }
  return inputs;
}

/** The keys of the filings in the bucket, in the order they were filed. */
export async function listFilings(s3: S3Client, bucket: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: BUCKET_KEYS.inputSegments, ContinuationToken: token }));
    for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return keys.sort();
}

/** A filing read: its key, and its inputs (undefined: the object is not a filing). */
export interface Filing {
  readonly key: string;
  readonly inputs: PredictionInputs[] | undefined;
}

/** Reads the filings at `keys`, READ_CONCURRENCY at a time (a minute's filings are many small objects); a key gone meanwhile is skipped. */
export async function readFilings(s3: S3Client, bucket: string, keys: readonly string[]): Promise<Filing[]> {
  const filings: Filing[] = [];
  for (let i = 0; i < keys.length; i += READ_CONCURRENCY) {
    const chunk = keys.slice(i, i + READ_CONCURRENCY);
    const texts = await Promise.all(chunk.map((key) => getText(s3, bucket, key)));
    texts.forEach((stored, j) => {
      if (stored !== undefined) filings.push({ key: chunk[j] as string, inputs: readFiling(stored.text) });
    });
  }
  return filings;
}

export async function deleteFilings(s3: S3Client, bucket: string, keys: readonly string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 1000) {
    const Objects = keys.slice(i, i + 1000).map((Key) => ({ Key }));
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects, Quiet: true } }));
  }
}

interface BookEntry extends PredictionInputs {
  /** The filing it came from: deleted once none of its entries is left. */
  readonly key: string;
}

/**
 * The inputs of predictions not yet in a log, by id, pure; and which filings still
 * hold any of them. A filing all of whose entries were taken or expired is spent: its
 * object can go.
 */
export class InputsBook {
  readonly #inputs = new Map<string, BookEntry>();
  /** Entries left per filing read (a filing read with none left is spent, but known until it is deleted). */
  readonly #left = new Map<string, number>();

  get size(): number {
    return this.#inputs.size;
  }

  /** Whether the filing at `key` was read (and is not yet deleted). */
  has(key: string): boolean {
    return this.#left.has(key);
  }

  /** Takes a filing in; an id already here keeps its first inputs (a filing repeated by a retried batch adds nothing). */
  file(key: string, inputs: readonly PredictionInputs[]): void {
    let left = this.#left.get(key) ?? 0;
    for (const entry of inputs) {
      if (this.#inputs.has(entry.id)) continue;
      this.#inputs.set(entry.id, { ...entry, key });
      left++;
    }
    this.#left.set(key, left);
  }

  /** An id's inputs, leaving them (a prediction still waiting). */
  peek(id: string): FeatureValues | undefined {
    return this.#inputs.get(id)?.features;
  }

  /** An id's inputs, taking them out (its line reached a log: it is counted once). */
  take(id: string): FeatureValues | undefined {
    const entry = this.#inputs.get(id);
    if (entry === undefined) return undefined;
    this.#remove(entry);
    return entry.features;
  }

  /** Lets go of what was filed before `before` (epoch ms): their predictions never reached a log; how many. */
  expire(before: number): number {
    let expired = 0;
    for (const entry of this.#inputs.values()) {
      if (entry.filedAt < before) {
        this.#remove(entry);
        expired++;
      }
    }
    return expired;
  }

  /** The filings none of whose entries is left, in key order: their objects can be deleted. */
  spent(): string[] {
    return [...this.#left].flatMap(([key, left]) => (left === 0 ? [key] : [])).sort();
  }

  /** The spent filings at `keys` were deleted: forgotten. */
  deleted(keys: readonly string[]): void {
    for (const key of keys) if (this.#left.get(key) === 0) this.#left.delete(key);
  }

  #remove(entry: BookEntry): void {
    this.#inputs.delete(entry.id);
    this.#left.set(entry.key, (this.#left.get(entry.key) ?? 1) - 1);
  }
}
