/**
 * The model versions' references as maintain reads them: the bucket's
 * `references/<model>.json` (uploaded by `npm run reference` or the API), over the
 * built-in model's, which is bundled. Listed once a run (one request); a reference is
 * read again only when its ETag changed, and its loss model compiled once.
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
