/** Seeded populations for the loss-model tests, shared with the scikit-learn comparison. */
import type { LossRow } from '../../../../../functions/commons/estimate/trainLossModel.js';
import type { DataRow } from '../../../../../functions/commons/model/dataset.js';
import { normalSample } from '../../../../helpers/samples.js';

/**
 * y = 2 + 1.5·x1 − x2 + 0.5·x3 + ε·0.5·e^(x1 / 2), with x2, x3, ε ~ N(0, 1) and x1 ~
 * N(shift, 1): the noise, hence any linear fit's absolute error, grows with x1 alone,
 * so moving x1 up by 1 raises the MAE by about 60%.
 */
export function heteroscedasticPopulation(count: number, shift: number, seed: number): DataRow[] {
  const x1 = normalSample(count, shift, 1, seed);
  const x2 = normalSample(count, 0, 1, seed + 1);
  const x3 = normalSample(count, 0, 1, seed + 2);
  const noise = normalSample(count, 0, 1, seed + 3);
  return x1.map((a, i) => {
    const [b, c, e] = [x2[i] as number, x3[i] as number, noise[i] as number];
    return { features: [a, b, c], target: 2 + 1.5 * a - b + 0.5 * c + e * 0.5 * Math.exp(0.5 * a) };
  });
}

/** The MAE the labels give. */
export function realisedMae(rows: readonly LossRow[]): number {
  return rows.reduce((sum, row) => sum + Math.abs(row.actual - row.prediction), 0) / rows.length;
}
