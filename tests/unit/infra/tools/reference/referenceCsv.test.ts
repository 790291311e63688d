import { describe, expect, it } from 'vitest';
import { parseReferenceCsv } from '../../../../../infra/tools/reference/referenceCsv.js';
import { referenceCsv, referenceItems } from '../../../../helpers/referenceRows.js';

describe('parseReferenceCsv', () => {
  it('reads numeric cells as numbers, other cells as category names, and an empty cell as a missing value', () => {
    const csv = 'id,bmi,region,y_pred,y_true\na,0.5,north,10,12\n\n"b",-1e-2,,11.5,9\n';

    const parsed = parseReferenceCsv(csv);

    expect(parsed.features).toEqual(['bmi', 'region']);
    expect(parsed.rows).toEqual([
      { features: { bmi: 0.5, region: 'north' }, yPred: 10, yTrue: 12 },
      { features: { bmi: -0.01 }, yPred: 11.5, yTrue: 9 },
    ]);
  });

  it('takes the columns in any order, the features being every column but id, y_pred and y_true', () => {
    const parsed = parseReferenceCsv('y_true,x,id,y_pred\r\n3,4,a,5\r\n');

    expect(parsed).toEqual({ features: ['x'], rows: [{ features: { x: 4 }, yPred: 5, yTrue: 3 }] });
  });

  it('reads a file of the diabetes rows back to the same numbers', () => {
    const items = referenceItems(60, true);

    const parsed = parseReferenceCsv(referenceCsv(items));

    expect(parsed.rows).toHaveLength(60);
    expect(parsed.rows[7]).toEqual({ features: items[7]?.features, yPred: items[7]?.y_pred, yTrue: items[7]?.y_true });
  });

  it('names the columns the header lacks', () => {
    expect(() => parseReferenceCsv('id,bmi,prediction,y_true\n')).toThrow(/line 1: the header has no y_pred column/);
    expect(() => parseReferenceCsv('bmi\n1\n')).toThrow(/no id, y_pred, y_true columns/);
    expect(() => parseReferenceCsv('\n\n')).toThrow(/the file is empty/);
    expect(() => parseReferenceCsv('id,x,x,y_pred,y_true\n')).toThrow(/the column "x" appears twice/);
  });

  it('names the line of a y_pred or y_true that is not a number, or of a row of the wrong width', () => {
    expect(() => parseReferenceCsv('id,x,y_pred,y_true\na,1,2,3\nb,1,high,3\n')).toThrow(/^line 3: y_pred "high" is not a number$/);
    expect(() => parseReferenceCsv('id,x,y_pred,y_true\na,1,2,\n')).toThrow(/^line 2: y_true "" is not a number$/);
    expect(() => parseReferenceCsv('id,x,y_pred,y_true\na,1,2\n')).toThrow(/^line 2: 3 cells, the header has 4$/);
  });
});
