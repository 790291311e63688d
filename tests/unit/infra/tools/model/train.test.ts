/** infra/tools/model/train.ts: the built-in model's reference, committed beside model.json, is what training writes. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assertModelReference } from '../../../../../functions/commons/drift/modelReference.js';
import { FEATURE_NAMES } from '../../../../../functions/commons/model/dataset.js';
import { assertModel, modelVersion } from '../../../../../functions/commons/model/linearModel.js';
import committedModel from '../../../../../functions/commons/model/model.json';
import { buildBuiltInReference, REFERENCE_FILE, referenceJson } from '../../../../../infra/tools/model/train.js';

describe('the built-in reference', () => {
  const committed = readFileSync(REFERENCE_FILE, 'utf8');
  const fresh = buildBuiltInReference(assertModel(committedModel));

  it('is committed byte for byte as a fresh training run writes it', () => {
    expect(referenceJson(fresh)).toBe(committed);
  });

  it('names the version the predictor gives model.json, over all ten features and the 442 rows', () => {
    const reference = assertModelReference(JSON.parse(committed));

    expect(reference.model).toBe(modelVersion(assertModel(committedModel)));
    expect(reference.feature_names).toEqual(FEATURE_NAMES);
    expect(reference.rows).toBe(442);
    // The OLS fit's mean absolute residual on its own training rows (43.28): the predictions are the model's.
    expect(reference.mae).toBeCloseTo(43.277, 2);
  });

  it('stays small enough to bundle with maintain', () => {
    expect(Buffer.byteLength(committed)).toBeLessThan(100_000);
  });
});
