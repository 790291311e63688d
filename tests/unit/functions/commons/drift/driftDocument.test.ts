/**
 * drift.json from the drift books, pure: a window of predictions against its version's
 * reference, numbers and categories, waiting predictions counted, the books' stored
 * form read back, and a version whose reference changed starting its minutes again.
 */
import { describe, expect, it } from 'vitest';
import { DriftBook, referenceTag } from '../../../../../functions/commons/drift/driftBook.js';
import { driftDocument, modelDrift } from '../../../../../functions/commons/drift/driftDocument.js';
import { buildModelReference, type ReferenceRow } from '../../../../../functions/commons/drift/modelReference.js';
import { normalSample, uniform } from '../../../../helpers/samples.js';

const MINUTE = 60_000;
const NOW = Date.parse('2026-12-03T12:00:00Z');
const FROM = NOW - 16 * MINUTE;
const TO = NOW - MINUTE;

/** Rows with a number `x`, a category `region` (north with share `north`), y_pred = x. */
function rows(count: number, shift: number, north: number, seed: number): ReferenceRow[] {
  const x = normalSample(count, shift, 1, seed);
  const random = uniform(seed + 1);
  return x.map((value) => ({ features: { x: value, region: random() < north ? 'north' : 'south' }, yPred: value, yTrue: value + 1 }));
}

const reference = buildModelReference('v1', rows(600, 0, 0.5, 1), 0).reference;

function bookWith(window: readonly ReferenceRow[]): DriftBook {
  const book = new DriftBook(undefined, 18);
  for (const [i, row] of window.entries()) {
    book.add(reference, { predictedAt: FROM + (i % 15) * MINUTE, features: row.features, prediction: row.yPred }, NOW);
  }
  return book;
}

describe('drift.json', () => {
  it('names a category whose shares moved, by chi-square on a reference of at most 1,000 rows, and not the steady number', () => {
    const current = bookWith(rows(900, 0, 0.8, 2)).window(reference, FROM, TO);

    const drift = modelDrift({ reference, current, estimatedMae: 1 }, { share: 0.5 });

    expect(drift.drifted_features).toEqual(['region']);
    expect(drift.features.region).toMatchObject({ test: 'chisquare', threshold: 0.05, categories: ['north', 'south', '(other)'] });
    expect(drift.features.region?.current_shares[0]).toBeCloseTo(0.8, 1);
    expect(drift.features.x).toMatchObject({ drifted: false, decile_edges: expect.any(Array) });
    expect(drift.dataset_drift).toBe(true);
  });

  it('names the shifted number, merges the books metric adds on arrival, and keeps its books through a store', () => {
    const window = rows(900, 1, 0.5, 7);
    const stored = JSON.parse(JSON.stringify(bookWith(window.slice(0, 600)).toStored(NOW)));
    const arrived = JSON.parse(JSON.stringify(bookWith(window.slice(600)).toStored(NOW)));

    const book = new DriftBook(stored, 18);
    book.merge(arrived, NOW, () => referenceTag(reference));
    const current = book.window(reference, FROM, TO);
    const document = driftDocument(NOW, { from: FROM, to: TO }, [{ reference, current, estimatedMae: null }], { share: 0.5 });

    expect(current.rows).toBe(900);
    // The region's shares are those of the reference: chi-square's p-value stays above 0.05 (at this seed).
    expect(document.models.v1?.drifted_features).toEqual(['x']);
    expect(document.models.v1?.prediction.drifted).toBe(true);
    expect(document.window).toEqual({ from: new Date(FROM).toISOString(), to: new Date(TO).toISOString(), minutes: 15 });
  });

  it('starts a version again when its reference changes: summaries on other edges do not compare', () => {
    const book = bookWith(rows(300, 0, 0.5, 4));
    const newer = { ...reference, created_at: '2026-12-03T00:00:00.000Z' };

    expect(book.window(reference, FROM, TO).rows).toBe(300);
    expect(book.window(newer, FROM, TO).rows).toBe(0);
  });
});
