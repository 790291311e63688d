import { describe, expect, it } from 'vitest';
import { checkIngestItem, INGEST_LIMITS, readIngestRequest } from '../../../../../functions/commons/ingest/ingestRequest.js';

const items = (count: number) => JSON.stringify(Array.from({ length: count }, (_, i) => ({ id: `r-${i}`, body: i })));

/** A request whose body is declared JSON, as API Gateway hands it over. */
const json = (body: string, isBase64Encoded = false) => ({ headers: { 'content-type': 'application/json' }, body, isBase64Encoded });

/** When the requests below arrive: an item without its own timestamp takes it. */
const NOW = Date.parse('2026-12-03T14:00:00.000Z');

describe('an accepted request', () => {
  it('takes one object and keeps a numeric id as its JSON text', () => {
    const decision = readIngestRequest('truths', json('{"id": 1669147134.196809, "body": 295.0}'), NOW);

    expect(decision).toEqual({ ok: true, messages: [{ id: '1669147134.196809', body: 295, timestamp: NOW }] });
  });

  it("takes each item's own time, as epoch ms or ISO 8601 with its zone, and stamps the others with their arrival", () => {
    const decision = readIngestRequest(
      'predictions',
      json(
        '[{"id": "a", "body": 1, "timestamp": "2026-12-01T10:00:00+01:00"}, {"id": "b", "body": 2, "timestamp": 1764583200000}, {"id": "c", "body": 3}]',
      ),
      NOW,
    );

    expect(decision).toEqual({
      ok: true,
      messages: [
        { id: 'a', body: 1, timestamp: Date.parse('2026-12-01T09:00:00Z') },
        { id: 'b', body: 2, timestamp: 1764583200000 },
        { id: 'c', body: 3, timestamp: NOW },
      ],
    });
  });

  it.each([
    [1764583200, /^timestamp 1970-01-21T10:09:43\.200Z is before 2000 \(epoch seconds\? it takes milliseconds\)$/],
    ['2026-12-01 10:00', /^timestamp must be an ISO 8601 time with its zone/],
    ['2026-12-01T10:00:00', /^timestamp must be an ISO 8601 time with its zone/],
    [NOW + 2 * 86_400_000, /^timestamp 2026-12-05T14:00:00\.000Z is more than a day ahead$/],
    [true, /^timestamp must be epoch milliseconds \(a number\) or an ISO 8601 time/],
  ])('refuses a timestamp of %j, saying why', (timestamp, reason) => {
    const decision = readIngestRequest('truths', json(JSON.stringify({ id: 'a', body: 1, timestamp })), NOW);

    expect(decision).toEqual({ ok: false, status: 400, errors: [{ index: 0, reason: expect.stringMatching(reason) }] });
  });

  it('takes an array of string and numeric ids, and a prediction with or without its model version', () => {
    const decision = readIngestRequest(
      'predictions',
      json('[{"id": "a-1", "body": -2.5, "model": "v2"}, {"id": 17, "body": 1e2}, {"id": 1.50, "body": 0}]'),
      NOW,
    );

    expect(decision).toEqual({
      ok: true,
      messages: [
        { id: 'a-1', body: -2.5, model: 'v2', timestamp: NOW },
        { id: '17', body: 100, timestamp: NOW },
        { id: '1.50', body: 0, timestamp: NOW },
      ],
    });
  });

  it('takes exactly 500 items, and a body of exactly 256 KiB', () => {
    const pad = (text: string) => `${text}${' '.repeat(INGEST_LIMITS.bytes - text.length)}`;

    expect(readIngestRequest('truths', json(items(500)))).toMatchObject({ ok: true, messages: { length: 500 } });
    expect(readIngestRequest('truths', json(pad(items(10))))).toMatchObject({ ok: true, messages: { length: 10 } });
  });

  it('reads a base64-encoded body as API Gateway hands over a binary content type', () => {
    const body = Buffer.from('{"id": "b", "body": 1}').toString('base64');

    expect(readIngestRequest('truths', json(body, true), NOW)).toEqual({ ok: true, messages: [{ id: 'b', body: 1, timestamp: NOW }] });
  });
});

describe('a refused request', () => {
  it.each([
    ['501 items', () => items(501), 413, '501 items, over the limit of 500 per request: split them'],
    [
      'a body over 256 KiB',
      () => `${items(1)}${' '.repeat(INGEST_LIMITS.bytes)}`,
      413,
      `the body is ${INGEST_LIMITS.bytes + items(1).length} bytes, over the 262144-byte (256 KiB) limit: send fewer items per request`,
    ],
    ['text that is not JSON', () => '{"id": "a", "body": ', 400, /^the body is not JSON \(.+\)$/],
    ['an empty body', () => '', 400, 'the body is empty: send a JSON object {"id", "body"} or an array of up to 500'],
    ['an empty array', () => '[]', 400, 'the array is empty: send 1 to 500 items'],
    ['a JSON number', () => '3', 400, 'the body must be a JSON object {"id", "body"} or an array of them, not a number'],
    ['JSON null', () => 'null', 400, 'the body must be a JSON object {"id", "body"} or an array of them, not null'],
  ])('refuses %s as a whole', (_what, body, status, reason) => {
    const decision = readIngestRequest('truths', json(body()));

    expect(decision).toEqual({
      ok: false,
      status,
      errors: [{ reason: typeof reason === 'string' ? reason : expect.stringMatching(reason) }],
    });
  });

  it('refuses the whole request for one bad item, naming each bad item by its index', () => {
    const decision = readIngestRequest(
      'truths',
      json('[{"id": "a", "body": 1}, {"id": "b"}, {"id": "c", "body": 2}, {"id": "", "body": 3}]'),
    );

    expect(decision).toEqual({
      ok: false,
      status: 400,
      errors: [
        { index: 1, reason: 'body is missing' },
        { index: 3, reason: 'id: id is empty; id: id may hold only letters, digits and . _ : + -' },
      ],
    });
  });

  it('names a single bad object as index 0', () => {
    expect(readIngestRequest('predictions', json('{"id": "a", "body": "1.5"}'))).toEqual({
      ok: false,
      status: 400,
      errors: [{ index: 0, reason: 'body must be a JSON number, not a string' }],
    });
  });
});

describe("a request's content type", () => {
  it.each([
    ['application/json'],
    ['application/json; charset=utf-8'],
    ['Application/JSON;charset=UTF-8'],
    ['application/json ; charset="utf-8"'],
  ])('takes %s', (contentType) => {
    const decision = readIngestRequest('truths', { headers: { 'content-type': contentType }, body: '{"id": "a", "body": 1}' }, NOW);

    expect(decision).toEqual({ ok: true, messages: [{ id: 'a', body: 1, timestamp: NOW }] });
  });

  it('finds the header whatever the case of its name', () => {
    expect(readIngestRequest('truths', { headers: { 'Content-Type': 'application/json' }, body: '{"id": "a", "body": 1}' })).toMatchObject({
      ok: true,
    });
  });

  it.each([
    ['text/plain', 'not "text/plain"'],
    ['text/plain;charset=UTF-8', 'not "text/plain;charset=UTF-8"'],
    ['application/x-www-form-urlencoded', 'not "application/x-www-form-urlencoded"'],
    ['multipart/form-data; boundary=x', 'not "multipart/form-data; boundary=x"'],
    ['application/json; charset=latin1', 'not "application/json; charset=latin1"'],
    ['application/json, text/plain', 'not "application/json, text/plain"'],
    ['application/jsonp', 'not "application/jsonp"'],
    ['', 'not ""'],
  ])('refuses %s with 415, whatever the body', (contentType, what) => {
    const decision = readIngestRequest('truths', { headers: { 'content-type': contentType }, body: '{"id": "a", "body": 1}' });

    expect(decision).toEqual({
      ok: false,
      status: 415,
      errors: [{ reason: `the content-type must be application/json (optionally with ; charset=utf-8), ${what}` }],
    });
  });

  it('refuses a request without one with 415, before reading its body', () => {
    const reason = 'the content-type must be application/json (optionally with ; charset=utf-8), and the request has none';

    expect(readIngestRequest('truths', { body: '{"id": "a", "body": 1}' })).toEqual({ ok: false, status: 415, errors: [{ reason }] });
    expect(readIngestRequest('truths', { headers: {}, body: `${items(1)}${' '.repeat(INGEST_LIMITS.bytes)}` })).toMatchObject({
      status: 415,
    });
  });
});

describe('an item', () => {
  it.each([
    ['truths', { id: 'a', body: 1, model: 'v1' }, 'model: a truth carries no model version (only predictions do)'],
    ['truths', { body: 1 }, 'id is missing'],
    ['truths', { id: null, body: 1 }, 'id must be a string or a JSON number, not null'],
    ['truths', { id: true, body: 1 }, 'id must be a string or a JSON number, not a boolean'],
    ['truths', { id: 'a b', body: 1 }, 'id: id may hold only letters, digits and . _ : + -'],
    ['truths', { id: 'x'.repeat(129), body: 1 }, 'id: id is longer than 128 characters'],
    [
      'truths',
      { id: '-2+3', body: 1 },
      'id: id may not start with + - = or @ unless it is a plain number: a spreadsheet would run it as a formula',
    ],
    [
      'predictions',
      { id: '+cmd:calc', body: 1 },
      'id: id may not start with + - = or @ unless it is a plain number: a spreadsheet would run it as a formula',
    ],
    ['truths', { id: 'a', body: null }, 'body must be a JSON number, not null'],
    ['truths', { id: 'a', body: [1] }, 'body must be a JSON number, not an array'],
    ['truths', { id: 'a', body: Number.POSITIVE_INFINITY }, 'body must be a finite number'],
    ['truths', { id: 'a', body: 1, value: 2 }, 'unknown field "value" (a truth has id, body and timestamp)'],
    ['predictions', { id: 'a', body: 1, modle: 'v1' }, 'unknown field "modle" (a prediction has id, body, model, features and timestamp)'],
    ['predictions', { id: 'a', body: 1, model: 2 }, 'model must be a string, not a number'],
    ['predictions', { id: 'a', body: 1, model: '' }, 'model: model is empty; model: model may hold only letters, digits and . _ : + -'],
    ['predictions', { id: 'a', body: 1, model: 'v 2' }, 'model: model may hold only letters, digits and . _ : + -'],
    ['predictions', [1, 2], 'an item must be an object {"id", "body"}, not an array'],
    ['predictions', 'a', 'an item must be an object {"id", "body"}, not a string'],
  ] as const)('of %s, %j, is refused: %s', (kind, item, reason) => {
    expect(checkIngestItem(kind, item)).toEqual({ ok: false, reason });
  });

  it('takes an id that is a plain number with its sign, and a model version whatever it starts with', () => {
    expect(checkIngestItem('predictions', { id: '-2e3', body: 1, model: '-v2' })).toEqual({
      ok: true,
      value: { id: '-2e3', body: 1, model: '-v2' },
    });
  });

  it('names every bad field at once', () => {
    expect(checkIngestItem('truths', { id: 'a/b', body: 'x', model: 'v1' })).toEqual({
      ok: false,
      reason:
        'body must be a JSON number, not a string; model: a truth carries no model version (only predictions do); id: id may hold only letters, digits and . _ : + -',
    });
  });
});
