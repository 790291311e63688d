/**
 * Segments, pure: SEGMENT_BY (`sex,age:4`) names the features the figures are also
 * given by. A name alone is a category: each value (a category's name, or a number's
 * text) is a segment. `name:k` cuts a number at its reference's k-quantiles (k of 2,
 * 4, 5 or 10: the reference keeps percentile edges, so these cuts are exact), segments
 * `Q1` … `Qk`. metrics.json gives every figure per segment and names the worst by MAE.
 *
 * Bounded: a rule keeps at most MAX_SEGMENT_VALUES values; later ones count as
 * OTHER_SEGMENT, so user-supplied categories never grow the books without limit.
 */
import type { FeatureValues, ModelReference } from '../drift/modelReference.js';

/** The k a number may be cut into: divisors of the reference's 100 percentile bins. */
export const QUANTILE_CUTS = [2, 4, 5, 10] as const;
export const MAX_SEGMENT_VALUES = 50;
export const OTHER_SEGMENT = '(other)';

export interface SegmentRule {
  /** As SEGMENT_BY writes it: `sex`, `age:4`. */
  readonly name: string;
  readonly feature: string;
  /** Quantile cuts of a number; undefined: a category. */
  readonly cuts?: number;
}

/** SEGMENT_BY's rules, or the reason it is not a list of them. */
export function parseSegmentBy(text: string): SegmentRule[] | string {
  const parts = text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  const rules: SegmentRule[] = [];
  for (const part of parts) {
    const match = /^([A-Za-z0-9._+-]{1,64})(?::(\d+))?$/.exec(part);
    if (match === null) return `"${part}" is not a feature name, or name:k`;
    const [, feature = '', cuts] = match;
    if (cuts !== undefined && !QUANTILE_CUTS.includes(Number(cuts) as (typeof QUANTILE_CUTS)[number]))
      return `"${part}": k must be one of ${QUANTILE_CUTS.join(', ')}`;
    if (rules.some((rule) => rule.name === part)) return `"${part}" is named twice`;
    rules.push({ name: part, feature, ...(cuts === undefined ? {} : { cuts: Number(cuts) }) });
  }
  return rules;
}

/**
 * The segment a prediction falls in under `rule`, or undefined: the feature is missing,
 * or a number is to be cut and its version has no reference that knows the feature.
 */
export function segmentOf(
  rule: SegmentRule,
  features: FeatureValues | undefined,
  reference: ModelReference | undefined,
): string | undefined {
  const value = features?.[rule.feature];
  if (value === undefined) return undefined;
  if (rule.cuts === undefined) return String(value);
  const edges = reference?.features[rule.feature]?.edges;
  if (typeof value !== 'number' || edges === undefined) return undefined;
  const step = (edges.length + 1) / rule.cuts;
  let bin = 0;
  while (bin < rule.cuts - 1 && value >= (edges[(bin + 1) * step - 1] as number)) bin++;
  return `Q${bin + 1}`;
}

/** Every rule's segment of a prediction: [rule name, segment] pairs. */
export function segmentsOf(
  rules: readonly SegmentRule[],
  features: FeatureValues | undefined,
  reference: ModelReference | undefined,
): [string, string][] {
  return rules.flatMap((rule) => {
    const segment = segmentOf(rule, features, reference);
    return segment === undefined ? [] : [[rule.name, segment] as [string, string]];
  });
}
