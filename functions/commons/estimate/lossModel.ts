/**
 * A loss model, pure: from a prediction's inputs (its features and the prediction
 * itself) it estimates the absolute error that prediction will turn out to have, so the
 * MAE of a window can be estimated before its labels arrive (NannyML's direct loss
 * estimation). Training is in trainLossModel.ts; this file is what a handler needs to
 * load the artefact from the bucket and use it.
 *
 * The model is a gradient-boosted ensemble of regression trees on quantile-binned
 * inputs, each tree complete to a fixed depth, so the artefact is three flat arrays
 * (which input and which bin edge each inner node splits on, the value of each leaf)
 * and a prediction is `depth` comparisons per tree, with no pointers to chase. A node
 * training did not split carries split bin 0 (every row goes left), and the leaves no
 * row reaches hold 0, so the layout stays complete.
 */

export interface LossModel {
  readonly kind: 'absolute-error-boosted-trees';
  /** The number of features; the prediction is one more input, the last. */
  readonly features: number;
  /** Per input (features, then the prediction): the increasing bin edges training cut. */
  readonly edges: readonly (readonly number[])[];
  readonly depth: number;
  /** The mean absolute error of the training rows: every estimate starts from it. */
  readonly base: number;
  /** Per tree, its 2^depth − 1 inner nodes in heap order: the input each splits on. */
  readonly splitInput: readonly number[];
  /** …and the split: right when the value is ≥ edges[input][bin − 1]; 0 means not split. */
  readonly splitBin: readonly number[];
  /** Per tree, its 2^depth leaves, the learning rate already applied. */
  readonly leaves: readonly number[];
}

/** A loaded model, compiled to typed arrays for speed (thresholds resolved from the edges). */
export interface LossEstimator {
  /** The estimated absolute error of one prediction (never below 0). */
  estimate(features: ArrayLike<number>, prediction: number): number;
}

export function compileLossModel(model: LossModel): LossEstimator {
  const { depth, features, base } = model;
  const inner = 2 ** depth - 1;
  const input = Int32Array.from(model.splitInput);
  // A comparison with NaN is false, so a missing value goes left, as training put it in
  // bin 0; an unsplit node's threshold is NaN, so every row goes left there.
  const threshold = Float64Array.from(model.splitBin, (bin, node) =>
    bin === 0 ? Number.NaN : (model.edges[input[node] as number]?.[bin - 1] as number),
  );
  const leaves = Float64Array.from(model.leaves);
  const trees = leaves.length >> depth;
  const row = new Float64Array(features + 1);
  return {
    estimate(values, prediction) {
      if (values.length !== features) throw new Error(`the loss model takes ${features} features, got ${values.length}`);
      for (let i = 0; i < features; i++) row[i] = values[i] as number;
      row[features] = prediction;
      let sum = base;
      for (let t = 0; t < trees; t++) {
        const offset = t * inner;
        let node = 0;
        while (node < inner) {
          const k = offset + node;
          node = 2 * node + ((row[input[k] as number] as number) >= (threshold[k] as number) ? 2 : 1);
        }
        sum += leaves[(t << depth) + node - inner] as number;
      }
      return Math.max(sum, 0);
    },
  };
}

/** The estimated MAE of a window: the mean of its predictions' estimated absolute errors (NaN when empty). */
export function estimatedMae(
  estimator: LossEstimator,
  rows: Iterable<{ readonly features: ArrayLike<number>; readonly prediction: number }>,
): number {
  let [sum, n] = [0, 0];
  for (const row of rows) {
    sum += estimator.estimate(row.features, row.prediction);
    n++;
  }
  return sum / n;
}

/** Checks an artefact read from the bucket before it estimates anything. */
export function assertLossModel(value: unknown): LossModel {
  if (!isLossModel(value))
    throw new Error('loss model artefact is not a boosted-tree absolute-error model; train it again from the reference');
  return value;
}

function isLossModel(value: unknown): value is LossModel {
  const candidate = value as Partial<LossModel> | undefined;
  const arrays = [candidate?.edges, candidate?.leaves, candidate?.splitInput, candidate?.splitBin];
  if (candidate?.kind !== 'absolute-error-boosted-trees' || !arrays.every(Array.isArray)) return false;
  const { features, depth, base, edges, leaves, splitInput, splitBin } = candidate as LossModel;
  const inner = 2 ** depth - 1;
  const trees = leaves.length >> depth;
  return (
    Number.isInteger(features) &&
    Number.isFinite(base) &&
    Number.isInteger(depth) &&
    depth >= 1 &&
    depth <= 12 &&
    edges.length === features + 1 &&
    edges.every((e) => Array.isArray(e) && e.every((x, i) => Number.isFinite(x) && (i === 0 || x > (e[i - 1] as number)))) &&
    leaves.length === trees << depth &&
    leaves.every(Number.isFinite) &&
    splitInput.length === trees * inner &&
    splitBin.length === trees * inner &&
    splitInput.every((input) => Number.isInteger(input) && input >= 0 && input < edges.length) &&
    // A split bin b compares with edges[input][b − 1], so it is at most that input's edge count.
    splitBin.every((bin, k) => Number.isInteger(bin) && bin >= 0 && bin <= (edges[splitInput[k] as number]?.length ?? -1))
  );
}
