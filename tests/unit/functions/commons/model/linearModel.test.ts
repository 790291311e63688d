import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDataset } from '../../../../../functions/commons/model/dataset.js';
import { assertModel, type LinearModel, predict } from '../../../../../functions/commons/model/linearModel.js';
import committedModel from '../../../../../functions/commons/model/model.json';
import { DATA_FILE, trainModel } from '../../../../../infra/tools/model/train.js';

// scikit-learn 1.2.1 LinearRegression().fit(X, y) on all 442 rows (shared/data/README.md).
const SKLEARN_INTERCEPT = 152.13348416289597;
const SKLEARN_COEFFICIENTS = [
  -10.009866299810508, -239.81564367242302, 519.845920054461, 324.38464550232334, -792.1756385522302, 476.73902100525737,
  101.04326793803405, 177.06323767134606, 751.2736995571034, 67.62669218370456,
];
const sklearn: LinearModel = {
  kind: 'ordinary-least-squares',
  featureNames: [],
  intercept: SKLEARN_INTERCEPT,
  coefficients: SKLEARN_COEFFICIENTS,
  trainedOn: { file: 'scikit-learn', rows: 442 },
};

function relativeError(actual: number, expected: number): number {
  return Math.abs(actual - expected) / Math.max(1, Math.abs(expected));
}

describe('the OLS model', () => {
  const rows = parseDataset(readFileSync(DATA_FILE, 'utf8'));

  it('trains to the coefficients scikit-learn finds, to 1e-6 relative', () => {
    const model = trainModel();

    expect(relativeError(model.intercept, SKLEARN_INTERCEPT)).toBeLessThan(1e-6);
    for (const [i, c] of model.coefficients.entries()) expect(relativeError(c, SKLEARN_COEFFICIENTS[i] as number)).toBeLessThan(1e-6);
  });

  it('predicts what scikit-learn predicts on every row of the data set, to 1e-6', () => {
    const model = trainModel();

    for (const row of rows) {
      expect(relativeError(predict(model, row.features), predict(sklearn, row.features))).toBeLessThan(1e-6);
    }
  });

  it('is committed as the artefact a fresh training run writes', () => {
    const fresh = trainModel();

    expect(assertModel(committedModel)).toEqual(JSON.parse(JSON.stringify(fresh)));
  });

  it('refuses an artefact that is not a ten-feature OLS model', () => {
    expect(() => assertModel({ kind: 'ordinary-least-squares', intercept: 1, coefficients: [1, 2] })).toThrow(/npm run train/);
  });

  it('refuses a feature vector of the wrong length', () => {
    expect(() => predict(sklearn, [1, 2, 3])).toThrow(/10 features/);
  });
});
