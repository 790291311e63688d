/** `npm run alerts`' reading of a message: raw delivery or an SNS envelope, and one line per alert. */
import { describe, expect, it } from 'vitest';
import { formatAlert, toInboxAlert } from '../../../../../infra/tools/alerts/inbox.js';

const ALERT = {
  rule: 'mae_ratio',
  state: 'FIRING',
  value: 21.123456,
  threshold: 1.5,
  window: 1,
  at: '2026-11-27T07:01:02.000Z',
  rows: 20,
  summary: 'MAE 21.1235 over the last 1 min (20 rows) is above 1.5',
};

describe('toInboxAlert', () => {
  it('reads an alert delivered raw, and one in an SNS envelope', () => {
    const raw = toInboxAlert({ Body: JSON.stringify(ALERT), Attributes: { SentTimestamp: '1000' } });
    const wrapped = toInboxAlert({ Body: JSON.stringify({ Type: 'Notification', Message: JSON.stringify(ALERT) }) });

    expect(raw.alert).toEqual(ALERT);
    expect(raw.sentAt).toBe(1000);
    expect(wrapped.alert).toEqual(ALERT);
  });

  it('keeps a message that is not an alert as it is', () => {
    expect(toInboxAlert({ Body: 'hello' })).toEqual({ alert: undefined, raw: 'hello', sentAt: 0 });
    expect(toInboxAlert({ Body: '{"rule": "x", "state": "MAYBE"}' }).alert).toBeUndefined();
  });
});

describe('formatAlert', () => {
  it('says time, state, rule, value and threshold, and the sentence', () => {
    const line = formatAlert(toInboxAlert({ Body: JSON.stringify(ALERT) }));

    expect(line.split(/\s+/).slice(0, 7)).toEqual([
      '2026-11-27T07:01:02.000Z',
      'FIRING',
      'mae_ratio',
      'value',
      '21.1235',
      'threshold',
      '1.5',
    ]);
    expect(line).toContain(ALERT.summary);
  });
});
