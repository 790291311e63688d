/**
 * Training the loss model (lossModel.ts) on a reference's rows, pure and deterministic
 * for a seed: gradient boosting of depth-limited regression trees on the absolute error,
 * squared loss, so each tree moves the estimate towards E[|error| | inputs] and the mean
 * of the estimates over a window is an estimate of its MAE.
 *
 * Written here rather than taken from npm, measured on the tests' population (5,000
 * reference rows, four inputs, on this project's two-core machine): this booster trains
 * in ~0.3 s to ~15 kB of JSON, estimates ~400k predictions/s and each window's MAE within
 * 2%; ml-random-forest (mljs, the kept tree library on npm) took 120 s to train 50 trees,
 * 1 MB of JSON, 47k predictions/s, within 8%. ml-xgboost is an XGBoost build with ~1.5k
 * downloads a month, and LightGBM / XGBoost proper are native binaries for the bundle.
 * A constant (the reference's MAE) is off by 38% once x1 shifts, so a model is needed.
 *
 * The choices follow scikit-learn's HistGradientBoostingRegressor at small scale (whose
 * estimates the sklearn test compares, within 2% here): inputs cut at their quantiles
 * (at most 255 bins, so a bin is a byte), leaves shrunk by an L2 term, a fixed learning
 * rate; plus row subsampling per tree (the seed's only use), which steadies a target as
 * noisy as a single absolute error.
 */

import { seededRandom } from '../seededRandom.js';
import type { LossModel } from './lossModel.js';

export interface LossRow {
  readonly features: readonly number[];
  readonly prediction: number;
  /** The label: the model's absolute error on this row is |actual − prediction|. */
  readonly actual: number;
}

export interface LossModelOptions {
  readonly trees: number;
  readonly depth: number;
  readonly learningRate: number;
  /** Bins per input, at most 255; inputs with fewer distinct values get one bin each. */
  readonly bins: number;
  /** No leaf is cut with fewer training rows than this. */
  readonly minLeafRows: number;
  /** The share of rows each tree is grown on. */
  readonly subsample: number;
  /** L2 shrinkage of a leaf's value: Σ residual / (n + l2). */
  readonly l2: number;
  readonly seed: number;
}

export const LOSS_MODEL_DEFAULTS: LossModelOptions = {
  trees: 100,
  depth: 3,
  learningRate: 0.1,
  bins: 64,
  minLeafRows: 20,
  subsample: 0.8,
  l2: 1,
  seed: 1,
};

/** Significant digits kept in the artefact; training uses the rounded numbers, so the JSON is the model. */
const DIGITS = 7;
const round = (x: number) => Number(x.toPrecision(DIGITS));

export function trainLossModel(rows: readonly LossRow[], options: Partial<LossModelOptions> = {}): LossModel {
  const o = { ...LOSS_MODEL_DEFAULTS, ...options };
  if (rows.length === 0) throw new Error('cannot train a loss model on no rows');
  if (!(o.bins >= 2 && o.bins <= 255 && o.depth >= 1 && o.depth <= 12)) throw new RangeError('bins must be 2–255 and depth 1–12');
  const features = rows[0]?.features.length ?? 0;
  const n = rows.length;
  const short = rows.find((row) => row.features.length !== features);
  if (short) throw new Error(`every row needs ${features} features, one has ${short.features.length}`);
  // One column per input, the prediction last; a missing feature (NaN) falls in bin 0.
  const columns = Array.from({ length: features + 1 }, (_, f) =>
    Float64Array.from(rows, (row) => (f < features ? (row.features[f] as number) : row.prediction)),
  );
  const edges = columns.map((column) => cutEdges(column, o.bins));
  const binned = columns.map((column, f) => Uint8Array.from(column, (x) => binOf(edges[f] as number[], x)));
  const target = Float64Array.from(rows, (row) => Math.abs(row.actual - row.prediction));
  if (!target.every(Number.isFinite)) throw new Error('every row needs a finite prediction and label');

  const base = round(target.reduce((a, b) => a + b, 0) / n);
  const estimate = new Float64Array(n).fill(base);
  const residual = new Float64Array(n);
  const inner = 2 ** o.depth - 1;
  const splitInput: number[] = [];
  const splitBin: number[] = [];
  const leaves: number[] = [];
  const random = seededRandom(o.seed);
  // Histograms reused by every node: per input, per bin, the sum of residuals and the row count.
  const sums = new Float64Array(256);
  const counts = new Float64Array(256);

  /** The best cut of `members` (gain, input, bin), or undefined when none leaves minLeafRows on both sides. */
  const bestSplit = (members: Int32Array) => {
    let total = 0;
    for (const i of members) total += residual[i] as number;
    const parent = (total * total) / (members.length + o.l2);
    let best: { gain: number; input: number; bin: number } | undefined;
    for (let f = 0; f <= features; f++) {
      const bins = (edges[f] as number[]).length + 1;
      const column = binned[f] as Uint8Array;
      sums.fill(0, 0, bins);
      counts.fill(0, 0, bins);
      for (const i of members) {
        const b = column[i] as number;
        sums[b] = (sums[b] as number) + (residual[i] as number);
        counts[b] = (counts[b] as number) + 1;
      }
      let [leftSum, leftCount] = [0, 0];
      for (let b = 1; b < bins; b++) {
        leftSum += sums[b - 1] as number;
        leftCount += counts[b - 1] as number;
        const rightCount = members.length - leftCount;
        if (leftCount < o.minLeafRows) continue;
        if (rightCount < o.minLeafRows) break;
        const rightSum = total - leftSum;
        const gain = (leftSum * leftSum) / (leftCount + o.l2) + (rightSum * rightSum) / (rightCount + o.l2) - parent;
        if (gain > 1e-12 && (best === undefined || gain > best.gain)) best = { gain, input: f, bin: b };
      }
    }
    return best;
  };

  /** Grows node `node` (heap order) of the current tree from `members`, writing into the tree's slots. */
  const grow = (tree: { input: number[]; bin: number[]; leaf: number[] }, node: number, members: Int32Array) => {
    if (node >= inner) {
      let sum = 0;
      for (const i of members) sum += residual[i] as number;
      tree.leaf[node - inner] = round((o.learningRate * sum) / (members.length + o.l2));
      return;
    }
    const split = members.length >= 2 * o.minLeafRows ? bestSplit(members) : undefined;
    if (split === undefined) {
      // Not split: all rows go left, and the leaf they reach is the only one used.
      tree.input[node] = 0;
      tree.bin[node] = 0;
      grow(tree, 2 * node + 1, members);
      fillUnused(tree, 2 * node + 2);
      return;
    }
    tree.input[node] = split.input;
    tree.bin[node] = split.bin;
    const column = binned[split.input] as Uint8Array;
    grow(
      tree,
      2 * node + 1,
      members.filter((i) => (column[i] as number) < split.bin),
    );
    grow(
      tree,
      2 * node + 2,
      members.filter((i) => (column[i] as number) >= split.bin),
    );
  };
  const fillUnused = (tree: { input: number[]; bin: number[]; leaf: number[] }, node: number) => {
    if (node >= inner) {
      tree.leaf[node - inner] = 0;
      return;
    }
    tree.input[node] = 0;
    tree.bin[node] = 0;
    fillUnused(tree, 2 * node + 1);
    fillUnused(tree, 2 * node + 2);
  };

  const all = Int32Array.from({ length: n }, (_, i) => i);
  for (let t = 0; t < o.trees; t++) {
    for (let i = 0; i < n; i++) residual[i] = (target[i] as number) - (estimate[i] as number);
    const sample = o.subsample < 1 ? all.filter(() => random() < o.subsample) : all;
    const tree = { input: new Array<number>(inner), bin: new Array<number>(inner), leaf: new Array<number>(inner + 1) };
    grow(tree, 0, sample);
    splitInput.push(...tree.input);
    splitBin.push(...tree.bin);
    leaves.push(...tree.leaf);
    // Every row's estimate moves by the new tree (bin 0 means unsplit: 256 sends every byte left).
    for (let i = 0; i < n; i++) {
      let node = 0;
      while (node < inner)
        node = 2 * node + (((binned[tree.input[node] as number] as Uint8Array)[i] as number) >= (tree.bin[node] || 256) ? 2 : 1);
      estimate[i] = (estimate[i] as number) + (tree.leaf[node - inner] as number);
    }
  }
  return { kind: 'absolute-error-boosted-trees', features, edges, depth: o.depth, base, splitInput, splitBin, leaves };
}

/**
 * Bin edges of one input: with no more distinct values than bins, the midpoints between
 * them (one bin each); otherwise the quantiles at k / bins, rounded, deduplicated.
 * Missing values (NaN) are left out; at prediction they go left at every split.
 */
export function cutEdges(values: Float64Array, bins: number): number[] {
  const sorted = values.filter(Number.isFinite).sort();
  const distinct = sorted.filter((x, i) => i === 0 || x !== sorted[i - 1]);
  const raw =
    distinct.length <= bins
      ? Array.from(distinct.subarray(1), (x, i) => ((distinct[i] as number) + x) / 2)
      : Array.from({ length: bins - 1 }, (_, k) => sorted[Math.floor(((k + 1) * sorted.length) / bins)] as number);
  return [...new Set(raw.map(round))].sort((a, b) => a - b);
}

/** The bin of `value`: how many edges are ≤ it (so value ≥ edges[b − 1] ⇔ bin ≥ b, as prediction compares). */
function binOf(edges: readonly number[], value: number): number {
  let [lo, hi] = [0, edges.length];
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((edges[mid] as number) <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
