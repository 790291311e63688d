/**
 * The model versions' references as maintain and metric read them: the bucket's
 * `references/<model>.json` (uploaded by `npm run reference` or the API), over the
 * built-in model's, which is bundled. Listed once a run by maintain, and by metric as
 * refreshFor says (one request); a reference is read again only when its ETag
 * changed, and its loss model compiled once.
 */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { compileLossModel, type LossEstimator } from '../estimate/lossModel.js';
import { BUCKET_KEYS } from '../storage/bucketKeys.js';
import { getText } from '../storage/s3Objects.js';
import { assertModelReference, type FeatureValues, type ModelReference, numericValue } from './modelReference.js';

export interface LoadedReference {
  readonly reference: ModelReference;
  readonly estimator: LossEstimator;
  readonly etag: string;
}

/** The loss model's estimate of a prediction's absolute error, from its inputs by the reference's names. */
export function estimateError(loaded: LoadedReference, features: FeatureValues, prediction: number): number {
  const values = loaded.reference.feature_names.map((name) => numericValue(features[name]));
  return loaded.estimator.estimate(values, prediction);
}

/** How stale metric's references may be: a reference replaced is used from then on at most this much later. */
const REFRESH_EVERY_MS = 60_000;
/** How often a version without a reference makes metric look for one. */
const UNKNOWN_LOOKED_FOR_MS = 10_000;

function load(reference: ModelReference, etag: string): LoadedReference {
  return { reference, estimator: compileLossModel(reference.loss_model), etag };
}

export class ReferenceStore {
  readonly #s3: S3Client;
  readonly #bucket: string;
  readonly #warn: (message: string) => void;
  readonly #builtIn: LoadedReference | undefined;
  #uploaded = new Map<string, LoadedReference>();
  /** Keys already reported as bad, at their ETag: said once, not every minute. */
  readonly #reported = new Set<string>();
  #refreshedAt = Number.NEGATIVE_INFINITY;
  /** Versions without a reference, and when one was last looked for (refreshFor). */
  readonly #lookedFor = new Map<string, number>();

  constructor(options: { s3: S3Client; bucket: string; builtIn?: ModelReference; warn: (message: string) => void }) {
    this.#s3 = options.s3;
    this.#bucket = options.bucket;
    this.#warn = options.warn;
    this.#builtIn = options.builtIn === undefined ? undefined : load(options.builtIn, 'built-in');
  }

  /** Reads the references uploaded or changed since the last refresh; a bad one is said once and left out. */
  async refresh(): Promise<void> {
    const listed = new Map<string, string>();
    let token: string | undefined;
    do {
      const page = await this.#s3.send(
        new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: BUCKET_KEYS.references, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key?.endsWith('.json')) listed.set(object.Key, object.ETag ?? '');
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    const next = new Map<string, LoadedReference>();
    for (const [key, etag] of listed) {
      const model = key.slice(BUCKET_KEYS.references.length, -'.json'.length);
      const known = this.#uploaded.get(model);
      if (known !== undefined && known.etag === etag) {
        next.set(model, known);
        continue;
      }
      const loaded = await this.#read(key, model);
      if (loaded !== undefined) next.set(model, loaded);
    }
    this.#uploaded = next;
  }

  /**
   * Refreshes when it may be out of date for `models` (metric, each batch, which must
   * not list the bucket each time): every REFRESH_EVERY_MS, and for a version with no
   * reference that was not looked for in the last UNKNOWN_LOOKED_FOR_MS, so a
   * reference uploaded before a new version's first prediction is always found.
   */
  async refreshFor(models: Iterable<string | undefined>, now: number): Promise<void> {
    const unknown = [...new Set(models)].filter(
      (model): model is string =>
        model !== undefined &&
        this.get(model) === undefined &&
        now - (this.#lookedFor.get(model) ?? Number.NEGATIVE_INFINITY) >= UNKNOWN_LOOKED_FOR_MS,
    );
    if (unknown.length === 0 && now - this.#refreshedAt < REFRESH_EVERY_MS) return;
    await this.refresh();
    this.#refreshedAt = now;
    for (const model of unknown) this.#lookedFor.set(model, now);
    // Bounded: versions looked for long ago are looked for again anyway.
    for (const [model, at] of this.#lookedFor) if (now - at >= UNKNOWN_LOOKED_FOR_MS) this.#lookedFor.delete(model);
  }

  /** The reference of a model version, or undefined when it has none. */
  get(model: string | undefined): LoadedReference | undefined {
    if (model === undefined) return undefined;
    return this.#uploaded.get(model) ?? (this.#builtIn?.reference.model === model ? this.#builtIn : undefined);
  }

  /** Every version with a reference. */
  all(): LoadedReference[] {
    const all = [...this.#uploaded.values()];
    if (this.#builtIn !== undefined && !this.#uploaded.has(this.#builtIn.reference.model)) all.push(this.#builtIn);
    return all;
  }

  async #read(key: string, model: string): Promise<LoadedReference | undefined> {
    const stored = await getText(this.#s3, this.#bucket, key);
    if (stored === undefined) return undefined;
    try {
      const reference = assertModelReference(JSON.parse(stored.text));
      if (reference.model !== model) throw new Error(`it is the reference of ${reference.model}, not of ${model}`);
      return load(reference, stored.etag ?? '');
    } catch (error) {
      const said = `${key}@${stored.etag}`;
      if (!this.#reported.has(said)) {
        this.#reported.add(said);
        this.#warn(`s3://${this.#bucket}/${key} is left out: ${(error as Error).message.split('\n')[0]}`);
      }
      return undefined;
    }
  }
}
