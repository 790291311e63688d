import { describe, expect, it } from 'vitest';
import { buildModelReference } from '../../../../../functions/commons/drift/modelReference.js';
import {
  checkModelName,
  formatReferenceSummary,
  readReferenceRequest,
  referenceSummary,
} from '../../../../../functions/commons/ingest/referenceRequest.js';
import { referenceItems } from '../../../../helpers/referenceRows.js';

const json = (body: unknown, contentType = 'application/json') => ({
  headers: { 'content-type': contentType },
  body: JSON.stringify(body),
});

describe('readReferenceRequest', () => {
  it('reads each row into its features, prediction and true answer', () => {
    const items = referenceItems(50, true);

    const decision = readReferenceRequest('v1', json({ rows: items }));

    expect(decision).toMatchObject({ ok: true, model: 'v1' });
    if (!decision.ok) throw new Error('refused');
    expect(decision.rows).toHaveLength(50);
    expect(decision.rows[3]).toEqual({ features: items[3]?.features, yPred: items[3]?.y_pred, yTrue: items[3]?.y_true });
  });

  it('refuses a model version the predictions could not carry, by their rule', () => {
    const decision = readReferenceRequest('v 1', json({ rows: referenceItems(50) }));

    expect(decision).toEqual({
      ok: false,
      status: 400,
      errors: [{ reason: 'the model version in the path: model may hold only letters, digits and . _ : + -' }],
    });
    expect(checkModelName(undefined)).toMatchObject({ ok: false, reason: expect.stringMatching(/^model is empty/) });
  });

  it('refuses what the ingestion routes refuse: another content type (415), over 256 KiB (413)', () => {
    expect(readReferenceRequest('v1', json({ rows: referenceItems(50) }, 'text/plain'))).toMatchObject({ ok: false, status: 415 });
    const big = { headers: { 'content-type': 'application/json' }, body: `{"rows": [], "pad": "${'x'.repeat(300_000)}"}` };
    expect(readReferenceRequest('v1', big)).toMatchObject({ ok: false, status: 413 });
  });

  it('refuses fewer rows than a reference needs (400) and more than a request takes (413)', () => {
    const few = readReferenceRequest('v1', json({ rows: referenceItems(49) }));
    const many = readReferenceRequest('v1', json({ rows: Array.from({ length: 501 }, () => referenceItems(1)[0]) }));

    expect(few).toEqual({ ok: false, status: 400, errors: [{ reason: '49 rows: a reference needs at least 50' }] });
    expect(many).toMatchObject({ ok: false, status: 413 });
  });

  it('refuses a body that is not {"rows": [...]}', () => {
    expect(readReferenceRequest('v1', json([1, 2]))).toEqual({
      ok: false,
      status: 400,
      errors: [{ reason: 'the body must be a JSON object {"rows": [...]}, not an array' }],
    });
    expect(readReferenceRequest('v1', json({ row: [] }))).toMatchObject({ ok: false, status: 400 });
  });

  it('refuses the request whole when a row is bad, naming each bad row by its index and every bad field', () => {
    const items: unknown[] = referenceItems(50);
    items[4] = { id: 'x', features: { bmi: null, region: 'north' }, y_pred: '12', y_true: 3, weight: 1 };
    items[9] = 7;

    const decision = readReferenceRequest('v1', json({ rows: items }));

    expect(decision).toEqual({
      ok: false,
      status: 400,
      errors: [
        {
          index: 4,
          reason:
            'y_pred must be a finite number, not a string; features.bmi must be a finite number or a category name, not null; unknown field "weight" (a row has id, features, y_pred and y_true)',
        },
        { index: 9, reason: 'a row must be an object {"id", "features", "y_pred", "y_true"}, not a number' },
      ],
    });
  });
});

describe('referenceSummary', () => {
  it('says the key, the rows, the numeric features and the category ones, in one line', () => {
    const items = referenceItems(60, true);
    const { reference, skipped } = buildModelReference(
      'v1',
      items.map((item) => ({ features: item.features, yPred: item.y_pred, yTrue: item.y_true })),
    );

    const summary = referenceSummary(reference, skipped);

    expect(summary).toMatchObject({ model: 'v1', key: 'references/v1.json', rows: 60, categories: ['region'], skipped: [] });
    expect(summary.features).toHaveLength(10);
    expect(formatReferenceSummary(summary, 'written to ref.json')).toMatch(
      /^reference of v1 \(references\/v1\.json\): 60 rows, 10 features \(age, sex, bmi, .*, s6\), 1 categories \(region\), 0 skipped as missing somewhere, MAE \d+\.\d{3}, written to ref\.json$/,
    );
  });
});
