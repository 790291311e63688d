import { describe, expect, it } from 'vitest';
import {
  checkMessage,
  FeaturesMessage,
  parseMessageJson,
  parseRecord,
  ScalarMessage,
} from '../../../../../functions/commons/messaging/messageSchemas.js';
import { InvalidMessageError } from '../../../../../functions/commons/platform/errors.js';

const record = (body: string) => ({ messageId: 'm-1', body, eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:y_pred' });

describe('message JSON', () => {
  it('keeps the text of a numeric id, and reads every other number as a number', () => {
    const parsed = parseMessageJson('{"id": 1669147134.196809, "body": 295.0}');
    const list = parseMessageJson('[{"id": 1.0, "body": 1e2}, {"id": "a", "body": [1, 2.5]}]');

    expect(parsed).toEqual({ id: '1669147134.196809', body: 295 });
    expect(list).toEqual([
      { id: '1.0', body: 100 },
      { id: 'a', body: [1, 2.5] },
    ]);
  });

  it('refuses text that is not JSON', () => {
    expect(() => parseMessageJson('{"id": ')).toThrow();
  });
});

describe('the scalar message of y_true and y_pred', () => {
  it('takes an id, a finite number and, optionally, the model version', () => {
    const value = parseRecord(ScalarMessage, record('{"id": 17, "body": 3.5, "model": "ols-1a2b"}'));

    expect(value).toEqual({ id: '17', body: 3.5, model: 'ols-1a2b' });
  });

  it.each([
    ['{"id": "a b", "body": 1}', 'id: id may hold only letters, digits and . _ : + -'],
    ['{"id": "a", "body": 1e400}', 'body: Invalid input: expected number, received Infinity'],
    ['{"id": "a", "body": 1, "model": ""}', 'model: model is empty; model: model may hold only letters, digits and . _ : + -'],
    ['{"body": 1}', 'id: Invalid input: expected string, received undefined'],
  ])('refuses %s, saying why', (body, reason) => {
    expect(() => parseRecord(ScalarMessage, record(body))).toThrow(new InvalidMessageError('y_pred', 'm-1', reason));
  });

  it('names every bad field of a features message at once', () => {
    const outcome = checkMessage(FeaturesMessage, { id: '', body: [1, 2] });

    expect(outcome).toEqual({
      ok: false,
      reason: 'id: id is empty; id: id may hold only letters, digits and . _ : + -; body: body must hold exactly 10 numbers',
    });
  });
});
