/**
 * Predictions' inputs, kept apart from the join table. `metric` rewrites the table on
 * every batch, and inputs ride with a prediction until its label comes, so inputs in
 * the table would make every batch pay for every prediction still waiting (measured:
 * 1.7× per record with 1,000 waiting). Instead `metric` files the inputs of each
 * batch's predictions once, as an object of their own written before the batch joins
 * anything, and `maintain`, once a minute, takes them into the inputs book (by id, the
 * first filing of an id kept) and looks each row and orphaned prediction up there as
 * the logs take it, exactly once, as the logs do. A prediction still waiting finds its
 * inputs there too. Entries whose prediction never reaches a log (a late duplicate of
 * a logged id) leave after INPUTS_KEPT_AFTER_TTL_MS past the orphans' TTL.
 */
import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { BUCKET_KEYS } from '../storage/bucketKeys.js';
import { getText, putObject } from '../storage/s3Objects.js';
import type { FeatureValues } from './modelReference.js';

/** An id's inputs: what it was predicted from, and when the filing came (epoch ms). */
export interface PredictionInputs {
  readonly id: string;
  readonly features: FeatureValues;
  readonly filedAt: number;
}

/** Filings read at once. */
const READ_CONCURRENCY = 16;

/** How long past the orphans' TTL an entry no log took waits before it leaves. */
export const INPUTS_KEPT_AFTER_TTL_MS = 60 * 60_000;

/** The key of one filing: its time first, so keys list in the order they were filed. */
export function inputsKey(filedAt: number, unique: string): string {
  return `${BUCKET_KEYS.inputSegments}${String(filedAt).padStart(15, '0')}-${unique}.json`;
}

/** Files one batch's inputs (metric). */
export async function fileInputs(
  s3: S3Client,
  bucket: string,
  inputs: readonly { readonly id: string; readonly features: FeatureValues }[],
  filedAt: number,
  unique: string,
): Promise<void> {
  const body = JSON.stringify(inputs.map(({ id, features }) => ({ id, features, filedAt })));
  await putObject(s3, bucket, inputsKey(filedAt, unique), body, 'application/json');
}

/** The filings waiting for maintain, and their inputs (a filing that is not a list of inputs is skipped, and its key said). */
export async function readFiledInputs(
  s3: S3Client,
  bucket: string,
): Promise<{ keys: string[]; inputs: PredictionInputs[]; unreadable: string[] }> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: BUCKET_KEYS.inputSegments, ContinuationToken: token }));
    for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  const inputs: PredictionInputs[] = [];
  const unreadable: string[] = [];
  keys.sort();
  // Read READ_CONCURRENCY at a time: a minute's filings are many small objects, and one at a time each waits its round trip.
  for (let i = 0; i < keys.length; i += READ_CONCURRENCY) {
    const chunk = keys.slice(i, i + READ_CONCURRENCY);
    const texts = await Promise.all(chunk.map((key) => getText(s3, bucket, key)));
    texts.forEach((stored, j) => {
      const parsed = stored === undefined ? [] : readFiling(stored.text);
      if (parsed === undefined) unreadable.push(chunk[j] as string);
      else inputs.push(...parsed);
    });
  }
  return { keys, inputs, unreadable };
}

function readFiling(text: string): PredictionInputs[] | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (!Array.isArray(value)) return undefined;
    return value.filter(
      (item): item is PredictionInputs =>
        typeof item?.id === 'string' && typeof item.features === 'object' && item.features !== null && typeof item.filedAt === 'number',
    );
  } catch {
    return undefined;
  }
}

export async function deleteFiledInputs(s3: S3Client, bucket: string, keys: readonly string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 1000) {
    const Objects = keys.slice(i, i + 1000).map((Key) => ({ Key }));
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects, Quiet: true } }));
  }
}

export interface StoredInputsBook {
  readonly version: 1;
  readonly inputs: readonly PredictionInputs[];
}

/** The inputs of predictions not yet in a log, by id, pure. */
export class InputsBook {
  readonly #inputs = new Map<string, PredictionInputs>();

  constructor(stored?: StoredInputsBook) {
    for (const inputs of stored?.inputs ?? []) this.#inputs.set(inputs.id, inputs);
  }

  get size(): number {
    return this.#inputs.size;
  }

  /** Takes filings in; an id already here keeps its first inputs (a filing repeated by a retried batch changes nothing). */
  file(inputs: readonly PredictionInputs[]): void {
    for (const entry of inputs) if (!this.#inputs.has(entry.id)) this.#inputs.set(entry.id, entry);
  }

  /** An id's inputs, leaving them (a prediction still waiting). */
  peek(id: string): FeatureValues | undefined {
    return this.#inputs.get(id)?.features;
  }

  /** An id's inputs, taking them out (its line reached a log: it is counted once). */
  take(id: string): FeatureValues | undefined {
    const entry = this.#inputs.get(id);
    this.#inputs.delete(id);
    return entry?.features;
  }

  /** Lets go of what was filed before `before` (epoch ms): their predictions never reached a log; how many. */
  expire(before: number): number {
    let expired = 0;
    for (const [id, entry] of this.#inputs) {
      if (entry.filedAt < before) {
        this.#inputs.delete(id);
        expired++;
      }
    }
    return expired;
  }

  toStored(): StoredInputsBook {
    return { version: 1, inputs: [...this.#inputs.values()] };
  }
}

export function readStoredInputsBook(value: unknown): StoredInputsBook | undefined {
  const book = value as Partial<StoredInputsBook> | null;
  return book?.version === 1 && Array.isArray(book.inputs) ? (book as StoredInputsBook) : undefined;
}
