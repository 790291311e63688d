/**
 * functions/commons/drift/categoryDrift.ts against scipy, on fixtures the test draws:
 * the chi-square survival function, Evidently's chi-square test (scipy.stats.chisquare
 * on the reference's counts scaled to the current size) and its Jensen–Shannon distance
 * (scipy.spatial.distance.jensenshannon on its filled shares).
 */
import { describe, expect, it } from 'vitest';
import {
  buildCategoryReference,
  CATEGORY_LIMIT,
  categoryFigures,
  categorySlot,
  chiSquarePValue,
  chiSquareSurvival,
  jensenShannon,
  OTHER_CATEGORY,
} from '../../../../../functions/commons/drift/categoryDrift.js';
import { refereeTitle, runReferee, SCIPY_MISSING } from '../../../../helpers/pythonReferee.js';
import { uniform } from '../../../../helpers/samples.js';

/** Counts of `n` draws over categories whose weights are given. */
function draw(weights: readonly number[], n: number, seed: number): number[] {
  const random = uniform(seed);
  const total = weights.reduce((a, b) => a + b, 0);
  const counts = weights.map(() => 0);
  for (let i = 0; i < n; i++) {
    let u = random() * total;
    let k = 0;
    while (k < weights.length - 1 && u >= (weights[k] as number)) u -= weights[k++] as number;
    counts[k] = (counts[k] as number) + 1;
  }
  return counts;
}

const CASES = [
  { reference: draw([5, 3, 2], 400, 1), current: draw([5, 3, 2], 900, 2) },
  { reference: draw([5, 3, 2], 400, 3), current: draw([2, 3, 5], 900, 4) },
  { reference: draw([1, 1], 300, 5), current: draw([1, 1.2], 5000, 6) },
  { reference: draw([10, 5, 1, 0.2], 2000, 7), current: draw([10, 5, 1, 0], 700, 8) },
];

describe.skipIf(SCIPY_MISSING !== undefined)(refereeTitle('category drift against scipy'), () => {
  it("gives chi-square's survival function as scipy.stats.chi2.sf", () => {
    const points = [
      [0.5, 1],
      [3.84, 1],
      [10, 3],
      [100, 9],
      [0.01, 20],
      [250, 49],
      [1000, 4],
    ];
    const expected = runReferee<number[]>('print(json.dumps([scipy.stats.chi2.sf(x, df) for x, df in data]))', points);
    points.forEach(([x, df], i) => {
      expect(chiSquareSurvival(x as number, df as number)).toBeCloseTo(expected[i] as number, 12);
      expect(Math.abs(chiSquareSurvival(x as number, df as number) / (expected[i] as number) - 1)).toBeLessThan(1e-9);
    });
  });

  it("gives Evidently's chi-square p-value and Jensen–Shannon distance", () => {
    const expected = runReferee<{ chi: number; js: number }[]>(
      `
from scipy.spatial import distance
def filled(x):
    m = x[x != 0].min()
    x = x.copy()
    np.place(x, x == 0, m / 10**6 if m <= 0.0001 else 0.0001)
    return x
out = []
for case in data:
    r, c = np.array(case['reference'], float), np.array(case['current'], float)
    keep = (r > 0) | (c > 0)
    r, c = r[keep], c[keep]
    chi = scipy.stats.chisquare(c, r * c.sum() / r.sum())[1]
    js = distance.jensenshannon(filled(r / r.sum()), filled(c / c.sum()))
    out.append({'chi': float(chi), 'js': float(js)})
print(json.dumps(out))
`,
      CASES,
    );
    CASES.forEach(({ reference, current }, i) => {
      expect(chiSquarePValue(reference, current)).toBeCloseTo(expected[i]?.chi as number, 12);
      expect(jensenShannon(reference, current)).toBeCloseTo(expected[i]?.js as number, 12);
    });
  });
});

describe('category references', () => {
  it('keeps the most frequent categories and counts the rest, and new ones, as the other', () => {
    const values = Array.from({ length: CATEGORY_LIMIT + 10 }, (_, i) => Array.from({ length: i + 1 }, () => `c${i}`)).flat();

    const reference = buildCategoryReference(values);

    expect(reference.categories).toHaveLength(CATEGORY_LIMIT + 1);
    expect(reference.categories.at(-1)).toBe(OTHER_CATEGORY);
    expect(reference.counts.reduce((a, b) => a + b, 0)).toBe(values.length);
    expect(reference.categories).not.toContain('c0');
    expect(reference.categories[categorySlot(reference, 'never-seen')]).toBe(OTHER_CATEGORY);
  });

  it('says a category the reference never had is certain drift, and no figure without a current value', () => {
    const reference = { categories: ['a', 'b', OTHER_CATEGORY], counts: [50, 50, 0] };

    expect(categoryFigures(reference, [40, 60, 0])?.chi_square_p_value).toBeGreaterThan(0.01);
    expect(categoryFigures(reference, [40, 60, 5])?.chi_square_p_value).toBe(0);
    expect(categoryFigures(reference, [0, 0, 0])).toBeNull();
  });
});
