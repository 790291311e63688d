/**
 * `npm run train`: fits the model on functions/commons/model/diabetes.csv and writes the
 * artefact the predictor loads, functions/commons/model/model.json, and the model's
 * reference (drift/modelReference.ts) built on the same rows,
 * functions/commons/model/reference.json. Both committed, so a deploy needs no training
 * step and a fresh stack judges drift and estimates the MAE from its first minute.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { buildModelReference, type ModelReference } from '../../../functions/commons/drift/modelReference.js';
import { type DataRow, FEATURE_NAMES, parseDataset } from '../../../functions/commons/model/dataset.js';
import { type LinearModel, modelVersion, predict } from '../../../functions/commons/model/linearModel.js';
import { PROJECT_DIR } from '../../local/toolbox/localDefaults.js';
import { fitOrdinaryLeastSquares } from './ols.js';

export const DATA_FILE = join(PROJECT_DIR, 'functions/commons/model/diabetes.csv');
export const MODEL_FILE = join(PROJECT_DIR, 'functions/commons/model/model.json');
export const REFERENCE_FILE = join(PROJECT_DIR, 'functions/commons/model/reference.json');
/**
 * The built-in reference's created_at: the epoch, not the time of training, so two runs
 * write the same bytes and a test can check the committed file is what training writes.
 */
const BUILT_IN_REFERENCE_TIME = 0;

function readRows(dataFile: string): DataRow[] {
  return parseDataset(readFileSync(dataFile, 'utf8'));
}

export function trainModel(dataFile = DATA_FILE): LinearModel {
  const rows = readRows(dataFile);
  const fit = fitOrdinaryLeastSquares(rows);
  return {
    kind: 'ordinary-least-squares',
    featureNames: [...FEATURE_NAMES],
    intercept: fit.intercept,
    coefficients: fit.coefficients,
    trainedOn: { file: relative(PROJECT_DIR, dataFile), rows: rows.length },
  };
}

/**
 * The reference of `model` on the data set's rows: each row's features by name, the
 * model's prediction and the row's target as the true answer.
 */
export function buildBuiltInReference(model: LinearModel, dataFile = DATA_FILE): ModelReference {
  const rows = readRows(dataFile).map((row) => ({
    features: Object.fromEntries(FEATURE_NAMES.map((name, i) => [name, row.features[i] as number])),
    yPred: predict(model, row.features),
    yTrue: row.target,
  }));
  return buildModelReference(modelVersion(model), rows, BUILT_IN_REFERENCE_TIME).reference;
}

/** The reference as written to reference.json: one line, since no one reads its thousands of numbers by eye. */
export function referenceJson(reference: ModelReference): string {
  return `${JSON.stringify(reference)}\n`;
}

const USAGE = `usage: npm run train

Fits the model on ${relative(PROJECT_DIR, DATA_FILE)} and writes ${relative(PROJECT_DIR, MODEL_FILE)}
and its reference (feature and prediction percentiles, the loss model) on the same rows,
${relative(PROJECT_DIR, REFERENCE_FILE)}.

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
  // The version in the reference is the hash of model.json's contents as loaded back, so it is built from what was written.
  const reference = buildBuiltInReference(JSON.parse(readFileSync(MODEL_FILE, 'utf8')) as LinearModel);
  const text = referenceJson(reference);
  writeFileSync(REFERENCE_FILE, text);
  console.log(
    `reference written to ${relative(process.cwd(), REFERENCE_FILE)}: ${reference.model}, ${reference.rows} rows, ${reference.feature_names.length} features, MAE ${reference.mae.toFixed(2)}, ${Buffer.byteLength(text)} bytes`,
  );
}

if (require.main === module) void main();
