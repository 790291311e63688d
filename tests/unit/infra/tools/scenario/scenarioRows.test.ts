import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assertModelReference } from '../../../../../functions/commons/drift/modelReference.js';
import { compileLossModel, estimatedMae } from '../../../../../functions/commons/estimate/lossModel.js';
import { FEATURE_NAMES, parseDataset } from '../../../../../functions/commons/model/dataset.js';
import { assertModel } from '../../../../../functions/commons/model/linearModel.js';
import modelArtefact from '../../../../../functions/commons/model/model.json';
import { DATA_FILE, REFERENCE_FILE } from '../../../../../infra/tools/model/train.js';
import { type ScenarioName, type ScenarioRow, scenarioRows } from '../../../../../infra/tools/scenario/scenarioRows.js';

const model = assertModel(modelArtefact);
const data = parseDataset(readFileSync(DATA_FILE, 'utf8'));
const reference = assertModelReference(JSON.parse(readFileSync(REFERENCE_FILE, 'utf8')));
const lossModel = compileLossModel(reference.loss_model);

const draw = (name: ScenarioName, count: number, seed = 3): ScenarioRow[] => {
  const next = scenarioRows(name, data, model, seed);
  return Array.from({ length: count }, next);
};
const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
const featureMean = (rows: readonly { features: Readonly<Record<string, number>> }[], name: string) =>
  mean(rows.map((row) => row.features[name] as number));
const realisedMae = (rows: readonly ScenarioRow[]) => mean(rows.map((row) => Math.abs(row.truth - row.prediction)));
const estimate = (rows: readonly ScenarioRow[]) =>
  estimatedMae(
    lossModel,
    rows.map((row) => ({ features: FEATURE_NAMES.map((name) => row.features[name] as number), prediction: row.prediction })),
  );
const dataRows = data.map((row) => ({ features: Object.fromEntries(FEATURE_NAMES.map((name, i) => [name, row.features[i] as number])) }));
const bmiStd = Math.sqrt(mean(dataRows.map((row) => ((row.features.bmi as number) - featureMean(dataRows, 'bmi')) ** 2)));

describe('scenarioRows', () => {
  it('draws the same rows from the same seed, and other rows from another', () => {
    expect(draw('drift', 20, 5)).toEqual(draw('drift', 20, 5));
    expect(draw('drift', 20, 5)).not.toEqual(draw('drift', 20, 6));
  });

  it('drift: shifts bmi up by two standard deviations and leaves the other features as they were', () => {
    const rows = draw('drift', 5_000);

    expect(featureMean(rows, 'bmi') - featureMean(dataRows, 'bmi')).toBeCloseTo(2 * bmiStd, 2);
    for (const name of FEATURE_NAMES.filter((name) => name !== 'bmi')) {
      expect(Math.abs(featureMean(rows, name) - featureMean(dataRows, name))).toBeLessThan(0.1 * bmiStd);
    }
  });

  it('drift: the loss model sees the MAE rise before the labels, and the labels agree', () => {
    const rows = draw('drift', 5_000);

    expect(estimate(rows)).toBeGreaterThan(1.08 * reference.mae);
    expect(Math.abs(realisedMae(rows) - estimate(rows)) / estimate(rows)).toBeLessThan(0.05);
  });

  it('degrade: leaves the inputs as they were and doubles the MAE the labels show, past the 1.5 × of the mae_ratio alert', () => {
    const rows = draw('degrade', 5_000);

    for (const name of FEATURE_NAMES) expect(Math.abs(featureMean(rows, name) - featureMean(dataRows, name))).toBeLessThan(0.1 * bmiStd);
    expect(realisedMae(rows)).toBeGreaterThan(1.8 * reference.mae);
  });

  it('degrade: makes the error grow with bmi', () => {
    const rows = draw('degrade', 5_000);
    const byBmi = [...rows].sort((a, b) => (a.features.bmi as number) - (b.features.bmi as number));

    expect(realisedMae(byBmi.slice(-1_000))).toBeGreaterThan(1.5 * realisedMae(byBmi.slice(0, 1_000)));
  });
});
