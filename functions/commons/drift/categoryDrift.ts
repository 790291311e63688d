/**
 * Drift of a category feature, pure, by Evidently's defaults for categories
 * (src/evidently/calculations/stattests/chisquare_stattest.py, jensenshannon.py,
 * registry.py): Pearson's chi-square test of the current counts against the
 * reference's shares scaled to the current size while the reference has at most 1,000
 * rows (drifted when p ≤ 0.05), Jensen–Shannon distance (natural log, empty shares
 * filled as Evidently's get_binned_data) above (drifted when ≥ 0.1); PSI on the
 * categories' shares when DRIFT_METHOD is `psi`. Evidently's Z-test for two-valued
 * categories is not followed: chi-square serves them too (df 1, the same test squared).
 *
 * A reference keeps at most CATEGORY_LIMIT categories, its most frequent; every other
 * value, and one the reference never saw, counts as OTHER_CATEGORY, so the state stays
 * bounded whatever users send.
 */
import { fillEmpty, psi, shares } from './driftStatistics.js';
import { DEFAULT_THRESHOLDS, type DriftMethod, KS_MAX_REFERENCE_ROWS } from './driftVerdict.js';

export const CATEGORY_LIMIT = 50;
export const OTHER_CATEGORY = '(other)';

/** A category feature's reference: its categories (OTHER_CATEGORY last) and their counts. */
export interface CategoryReference {
  readonly categories: readonly string[];
  readonly counts: readonly number[];
}

export type CategoryTest = 'chisquare' | 'jensenshannon' | 'psi';

export const CATEGORY_THRESHOLDS: Readonly<Record<CategoryTest, number>> = {
  chisquare: 0.05,
  jensenshannon: 0.1,
  psi: DEFAULT_THRESHOLDS.psi,
};

export interface CategoryFigures {
  readonly chi_square_p_value: number;
  readonly jensen_shannon: number;
  readonly psi: number;
}

export function buildCategoryReference(values: readonly string[]): CategoryReference {
  const counted = new Map<string, number>();
  for (const value of values) counted.set(value, (counted.get(value) ?? 0) + 1);
  const kept = [...counted]
    .filter(([category]) => category !== OTHER_CATEGORY)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, CATEGORY_LIMIT)
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const inKept = kept.reduce((sum, [, count]) => sum + count, 0);
  return {
    categories: [...kept.map(([category]) => category), OTHER_CATEGORY],
    counts: [...kept.map(([, count]) => count), values.length - inKept],
  };
}

/** The slot of a value among the reference's categories: its own, or OTHER_CATEGORY's (the last). */
export function categorySlot(reference: CategoryReference, value: string): number {
  const index = reference.categories.indexOf(value);
  return index === -1 || value === OTHER_CATEGORY ? reference.categories.length - 1 : index;
}

/** The categories present in either sample (Evidently's keys: set(reference) | set(current)). */
function present(reference: readonly number[], current: readonly number[]): number[] {
  return reference.flatMap((count, i) => (count > 0 || (current[i] ?? 0) > 0 ? [i] : []));
}

/**
 * scipy.stats.chisquare(f_obs=current, f_exp=reference × n_current / n_reference)'s
 * p-value over the categories present in either; 0 when a category the reference never
 * had is in the current sample (an expected count of 0: certain drift).
 */
export function chiSquarePValue(reference: readonly number[], current: readonly number[]): number {
  const keys = present(reference, current);
  const referenceRows = reference.reduce((a, b) => a + b, 0);
  const currentRows = current.reduce((a, b) => a + b, 0);
  if (keys.length < 2) return 1;
  let statistic = 0;
  for (const i of keys) {
    const expected = ((reference[i] as number) * currentRows) / referenceRows;
    const observed = current[i] ?? 0;
    if (expected === 0) return 0;
    statistic += (observed - expected) ** 2 / expected;
  }
  return chiSquareSurvival(statistic, keys.length - 1);
}

/** scipy.spatial.distance.jensenshannon(p, q) (natural log) on Evidently's shares, empty ones filled. */
export function jensenShannon(reference: readonly number[], current: readonly number[]): number {
  const keys = present(reference, current);
  const p = normalised(fillEmpty(shares(keys.map((i) => reference[i] as number))));
  const q = normalised(fillEmpty(shares(keys.map((i) => current[i] ?? 0))));
  let divergence = 0;
  p.forEach((pi, i) => {
    const qi = q[i] as number;
    const m = (pi + qi) / 2;
    divergence += (pi > 0 ? pi * Math.log(pi / m) : 0) + (qi > 0 ? qi * Math.log(qi / m) : 0);
  });
  return Math.sqrt(Math.max(0, divergence / 2));
}

function normalised(values: readonly number[]): number[] {
  const sum = values.reduce((a, b) => a + b, 0);
  return values.map((value) => value / sum);
}

export function categoryFigures(reference: CategoryReference, current: readonly number[]): CategoryFigures | null {
  if (current.reduce((a, b) => a + b, 0) === 0) return null;
  const keys = present(reference.counts, current);
  return {
    chi_square_p_value: chiSquarePValue(reference.counts, current),
    jensen_shannon: jensenShannon(reference.counts, current),
    psi: psi(
      keys.map((i) => reference.counts[i] as number),
      keys.map((i) => current[i] ?? 0),
    ),
  };
}

/** The test a method uses for a category feature of a reference of `rows` rows: psi when asked, else Evidently's. */
export function chooseCategoryTest(method: DriftMethod, rows: number): CategoryTest {
  if (method === 'psi') return 'psi';
  return rows <= KS_MAX_REFERENCE_ROWS ? 'chisquare' : 'jensenshannon';
}

export function judgeCategory(figures: CategoryFigures, test: CategoryTest, threshold: number = CATEGORY_THRESHOLDS[test]): boolean {
  switch (test) {
    case 'chisquare':
      return figures.chi_square_p_value <= threshold;
    case 'jensenshannon':
      return figures.jensen_shannon >= threshold;
    case 'psi':
      return figures.psi >= threshold;
  }
}

// ---- The chi-square distribution ---------------------------------------------------

/** P(X ≥ x) for X ~ χ²(df): the regularized upper incomplete gamma Q(df/2, x/2). */
export function chiSquareSurvival(x: number, df: number): number {
  if (x <= 0) return 1;
  return upperGammaRegularized(df / 2, x / 2);
}

/** ln Γ(z), Lanczos (g = 7, n = 9): about 15 digits for z > 0. */
function logGamma(z: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - logGamma(1 - z);
  const w = z - 1;
  let sum = c[0] as number;
  for (let i = 1; i < 9; i++) sum += (c[i] as number) / (w + i);
  const t = w + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (w + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** Q(a, x) = Γ(a, x) / Γ(a): the series below a + 1, the continued fraction (Lentz) above (Numerical Recipes 6.2). */
function upperGammaRegularized(a: number, x: number): number {
  const logFront = a * Math.log(x) - x - logGamma(a);
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 1000 && Math.abs(term) > Math.abs(sum) * 1e-17; n++) {
      term *= x / (a + n);
      sum += term;
    }
    return Math.max(0, 1 - sum * Math.exp(logFront));
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(logFront) * h;
}
