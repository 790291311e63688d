/**
 * functions/commons/drift/ksDistribution.ts against scipy itself: the one-sample
 * Kolmogorov tail (scipy.stats.kstwo.sf, what ks_2samp's asymptotic path uses) and
 * the one-sided Smirnov tail (scipy.special.smirnov) over a grid that visits every
 * method Simard & L'Ecuyer's choice can pick.
 */
import { describe, expect, it } from 'vitest';
import { kolmogorovSf, ksTwoSamplePValue, smirnovSf } from '../../../../../functions/commons/drift/ksDistribution.js';
import { refereeTitle, runReferee, SCIPY_MISSING } from '../../../../helpers/pythonReferee.js';

const SIZES = [3, 20, 140, 141, 1000, 5000, 20_000, 150_000];
/** n·x² at these values reaches each branch: Durbin, Pomeranz's range, Pelz–Good, Smirnov, the far tail. */
const N_X_SQUARED = [0.2, 0.5, 0.75, 1, 1.5, 1.9, 2.5, 4, 6, 20, 100, 400];

function grid(): Array<[number, number]> {
  const points: Array<[number, number]> = [];
  for (const n of SIZES) {
    for (const nx2 of N_X_SQUARED) {
      const x = Math.sqrt(nx2 / n);
      if (x < 1) points.push([n, x]);
    }
    points.push([n, 0.4 / n], [n, 0.8 / n], [n, 0.55], [n, 0.9], [n, 1 - 0.5 / n]);
  }
  return points;
}

describe.skipIf(SCIPY_MISSING !== undefined)(refereeTitle('the Kolmogorov distributions against scipy'), () => {
  it('gives scipy.stats.kstwo.sf within 1e-9 on every branch', () => {
    const points = grid();

    const expected = runReferee<number[]>('print(json.dumps([float(scipy.stats.kstwo.sf(x, n)) for n, x in data]))', points);
    const actual = points.map(([n, x]) => kolmogorovSf(n, x));

    const worst = Math.max(...actual.map((p, i) => Math.abs(p - (expected[i] as number))));
    expect(worst).toBeLessThan(1e-9);
  });

  it('gives scipy.special.smirnov within 1e-9', () => {
    const points = grid().filter(([n]) => n <= 20_000);

    const expected = runReferee<number[]>(
      'import scipy.special\nprint(json.dumps([float(scipy.special.smirnov(n, x)) for n, x in data]))',
      points,
    );
    const actual = points.map(([n, x]) => smirnovSf(n, x));

    const worst = Math.max(...actual.map((p, i) => Math.abs(p - (expected[i] as number))));
    expect(worst).toBeLessThan(1e-9);
  });
});

describe('ksTwoSamplePValue', () => {
  it('gives 1 when the samples do not differ', () => {
    expect(ksTwoSamplePValue(0, 40, 70)).toEqual({ statistic: 0, pValue: 1 });
  });

  it('refuses an empty sample', () => {
    expect(() => ksTwoSamplePValue(0.1, 0, 10)).toThrow(/non-empty/);
  });
});
