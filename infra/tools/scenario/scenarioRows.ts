/**
 * The rows `npm run scenario` feeds the stack, pure and seeded: diabetes rows drawn at
 * random (with replacement), each with the built-in model's prediction and a true answer.
 *
 * - drift: bmi shifted up by two of its standard deviations, past most of what the model
 *   was fit on. The truth moves with it, but by half the model's bmi slope: a fit made
 *   inside a range over-extrapolates outside it. Measured on the data set (tests): the
 *   loss model estimates the MAE at ~48 against the reference's 43, and the labels,
 *   when they come, give ~48 too; drift.json names bmi.
 * - degrade: the inputs as they were, but each prediction off by an error that grows with
 *   bmi (a broken feature pipeline, say): the realised MAE roughly doubles once the labels
 *   come, which the mae_ratio alert (1.5 × the window before) sees.
 */
import { type DataRow, FEATURE_NAMES } from '../../../functions/commons/model/dataset.js';
import { type LinearModel, predict } from '../../../functions/commons/model/linearModel.js';
import { seededRandom } from '../../../functions/commons/seededRandom.js';

export const SCENARIOS = ['drift', 'degrade'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface ScenarioRow {
  /** By name, as `POST /predictions` takes them. */
  readonly features: Readonly<Record<string, number>>;
  readonly prediction: number;
  readonly truth: number;
}

/** The feature both scenarios act on: the model's largest effect but one, and a drift the loss model sees coming. */
export const SHIFTED_FEATURE = 'bmi';
/** drift: how far bmi moves, in its standard deviations on the data set. */
export const DRIFT_SHIFT_STDS = 2;
/** drift: the share of the model's bmi slope the truth follows once bmi moved. */
export const DRIFT_TRUE_SLOPE_SHARE = 0.5;
/** degrade: a prediction's added error, `base + perStd × (bmi in standard deviations)`, never below 0. */
export const DEGRADE_ERROR = { base: 80, perStd: 40 } as const;

/** Draws scenario rows one at a time; the same seed gives the same rows. */
export function scenarioRows(name: ScenarioName, data: readonly DataRow[], model: LinearModel, seed: number): () => ScenarioRow {
  if (data.length === 0) throw new Error('a scenario needs rows to draw from');
  const random = seededRandom(seed);
  const column = FEATURE_NAMES.indexOf(SHIFTED_FEATURE);
  const values = data.map((row) => row.features[column] as number);
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  const std = Math.sqrt(values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / values.length);
  const slope = model.coefficients[column] as number;
  return () => {
    const row = data[Math.floor(random() * data.length)] as DataRow;
    const features = [...row.features];
    let prediction: number;
    let truth = row.target;
    if (name === 'drift') {
      const shift = DRIFT_SHIFT_STDS * std;
      features[column] = (features[column] as number) + shift;
      prediction = predict(model, features);
      truth += DRIFT_TRUE_SLOPE_SHARE * slope * shift;
    } else {
      const z = ((features[column] as number) - mean) / std;
      prediction = predict(model, features) + Math.max(0, DEGRADE_ERROR.base + DEGRADE_ERROR.perStd * z);
    }
    return { features: Object.fromEntries(FEATURE_NAMES.map((feature, i) => [feature, features[i] as number])), prediction, truth };
  };
}
