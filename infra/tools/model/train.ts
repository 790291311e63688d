/**
 * `npm run train`: fits the model on functions/commons/model/diabetes.csv and writes the
 * artefact the predictor loads, functions/commons/model/model.json (committed, so a deploy needs
 * no training step).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
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

const USAGE = `usage: npm run train

Fits the model on ${relative(PROJECT_DIR, DATA_FILE)} and writes ${relative(PROJECT_DIR, MODEL_FILE)}.

exit status: 0 written, 1 failed, 2 bad usage`;

/** `npm run train` with the command line `args` (only --help). */
export async function main(args: string[] = process.argv.slice(2)): Promise<void> {
  let help: boolean | undefined;
  try {
    ({ help } = parseArgs({ args, options: { help: { type: 'boolean', short: 'h' } } }).values);
  } catch (error) {
    console.error(`${(error as Error).message.split('\n')[0]}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (help) return console.log(USAGE);
  const model = trainModel();
  writeFileSync(MODEL_FILE, `${JSON.stringify(model, null, 2)}\n`);
  console.log(
    `model written to ${relative(process.cwd(), MODEL_FILE)}: intercept ${model.intercept}, ${model.coefficients.length} coefficients`,
  );
}

if (require.main === module) void main();
