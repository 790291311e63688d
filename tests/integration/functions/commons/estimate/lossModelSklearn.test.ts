/**
 * A sanity figure, not a bound on either: the loss model's estimated MAE beside the one
 * scikit-learn's HistGradientBoostingRegressor gives when trained on the same reference
 * rows (inputs and prediction → absolute error) and run on the same windows. Skipped,
 * saying why, where python3 has no scikit-learn.
 */
import { describe, expect, it } from 'vitest';
import { compileLossModel, estimatedMae } from '../../../../../functions/commons/estimate/lossModel.js';
import { type LossRow, trainLossModel } from '../../../../../functions/commons/estimate/trainLossModel.js';
import { fitOrdinaryLeastSquares } from '../../../../../infra/tools/model/ols.js';
import { runReferee, sklearnMissing } from '../../../../helpers/pythonReferee.js';
import { heteroscedasticPopulation, realisedMae } from '../../../../unit/functions/commons/estimate/lossFixtures.js';

const SKLEARN_ESTIMATES = `
from sklearn.ensemble import HistGradientBoostingRegressor
inputs = lambda rows: np.array([r['features'] + [r['prediction']] for r in rows])
reference = data['reference']
loss = np.abs(np.array([r['actual'] - r['prediction'] for r in reference]))
model = HistGradientBoostingRegressor(random_state=0).fit(inputs(reference), loss)
print(json.dumps([float(np.mean(np.clip(model.predict(inputs(w)), 0, None))) for w in data['windows']]))
`;

const missing = sklearnMissing();
const title = 'the loss model beside scikit-learn’s HistGradientBoostingRegressor';

describe.skipIf(missing !== undefined)(missing === undefined ? title : `${title} (skipped: ${missing})`, () => {
  it('estimates each window’s MAE within 10% of what scikit-learn estimates', () => {
    const referenceRows = heteroscedasticPopulation(5000, 0, 100);
    const { intercept, coefficients } = fitOrdinaryLeastSquares(referenceRows);
    const toLoss = (rows: typeof referenceRows): LossRow[] =>
      rows.map((row) => ({
        features: row.features,
        prediction: row.features.reduce((y, x, i) => y + (coefficients[i] as number) * x, intercept),
        actual: row.target,
      }));
    const reference = toLoss(referenceRows);
    const windows = [0, 1, -1].map((shift, i) => toLoss(heteroscedasticPopulation(2000, shift, 200 + 100 * i)));
    const estimator = compileLossModel(trainLossModel(reference));

    const ours = windows.map((window) => estimatedMae(estimator, window));
    const sklearn = runReferee<number[]>(SKLEARN_ESTIMATES, { reference, windows });

    console.info(
      'estimated MAE by window (shift 0, +1, −1): ours, scikit-learn, realised',
      windows.map((window, i) => [ours[i], sklearn[i], realisedMae(window)].map((x) => Number(x?.toFixed(4)))),
    );
    for (const [i, estimate] of ours.entries())
      expect(Math.abs(estimate - (sklearn[i] as number)) / (sklearn[i] as number)).toBeLessThan(0.1);
  });
});
