import { describe, expect, it } from 'vitest';
import { AbsoluteErrors } from '../../../../../functions/commons/chart/absoluteErrors.js';

describe('AbsoluteErrors', () => {
  it('keeps the absolute errors of the lines it is given, and their mean', () => {
    const errors = new AbsoluteErrors();

    errors.add(['a,1.0,3.0,2.0', 'b,5.0,1.0,4.0']);
    errors.add(['c,0.0,0.0,0.0']);

    expect(errors.values).toEqual([2, 4, 0]);
    expect(errors.count).toBe(3);
    expect(errors.mean).toBe(2);
  });

  it('has no mean before any line, and forgets everything when cleared', () => {
    const errors = new AbsoluteErrors();
    const empty = errors.mean;
    errors.add(['a,1.0,3.0,2.0']);

    errors.clear();

    expect(empty).toBeNaN();
    expect(errors.values).toEqual([]);
    expect(errors.mean).toBeNaN();
  });

  it('refuses a line that is not a metric_log row', () => {
    expect(() => new AbsoluteErrors().add(['id,y_true,y_pred,absolute_error'])).toThrow(/not a metric_log row/);
  });
});
