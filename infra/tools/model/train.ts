/**
 * `npm run train`: fits the model on functions/commons/model/diabetes.csv and writes the
 * artefact the predictor loads, functions/commons/model/model.json (committed, so a deploy needs
 * no training step).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { FEATURE_NAMES, parseDataset } from '../../../functions/commons/model/dataset.js';
import type { LinearModel } from '../../../functions/commons/model/linearModel.js';
import { PROJECT_DIR } from '../../local/toolbox/localDefaults.js';
import { fitOrdinaryLeastSquares } from './ols.js';

export const DATA_FILE = join(PROJECT_DIR, 'functions/commons/model/diabetes.csv');
export const MODEL_FILE = join(PROJECT_DIR, 'functions/commons/model/model.json');

export function trainModel(dataFile = DATA_FILE): LinearModel {
  const rows = parseDataset(readFileSync(dataFile, 'utf8'));
  const fit = fitOrdinaryLeastSquares(rows);
  return {
    kind: 'ordinary-least-squares',
    featureNames: [...FEATURE_NAMES],
    intercept: fit.intercept,
    coefficients: fit.coefficients,
    trainedOn: { file: relative(PROJECT_DIR, dataFile), rows: rows.length },
  };
}

if (require.main === module) {
  const model = trainModel();
  writeFileSync(MODEL_FILE, `${JSON.stringify(model, null, 2)}\n`);
  console.log(
    `model written to ${relative(process.cwd(), MODEL_FILE)}: intercept ${model.intercept}, ${model.coefficients.length} coefficients`,
  );
}
