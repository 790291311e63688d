import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFiles, formatOutcome, parseArguments, UsageError } from '../../../../../infra/tools/ingest/cli.js';

const usageError = (args: string[], env: NodeJS.ProcessEnv = {}) => {
  try {
    parseArguments(args, env);
  } catch (error) {
    return error as UsageError;
  }
  throw new Error('no UsageError');
};

describe('the ingest command line', () => {
  it('takes both files, the API address and the batch size', () => {
    const options = parseArguments(
      ['--truths', 't.csv', '--predictions', 'p.csv', '--url', 'https://api.example/prod', '--batch', '100'],
      {},
    );

    expect(options).toEqual({
      files: [
        { kind: 'truths', path: 't.csv' },
        { kind: 'predictions', path: 'p.csv' },
      ],
      url: 'https://api.example/prod',
      batchSize: 100,
      concurrency: 4,
    });
  });

  it("defaults to npm start's HTTP port, or OFFLINE_HTTP_PORT", () => {
    expect(parseArguments(['--predictions', 'p.csv'], {}).url).toBe('http://localhost:3000');
    expect(parseArguments(['--predictions', 'p.csv'], { OFFLINE_HTTP_PORT: '37000' }).url).toBe('http://localhost:37000');
  });

  it.each([
    [[], 'nothing to send: give --truths, --predictions or both'],
    [['--truths'], "Option '--truths <value>' argument missing"],
    [['--truths', 't.csv', 'extra'], "Unexpected argument 'extra'"],
    [['--truths', 't.csv', '--size', '3'], "Unknown option '--size'"],
    [['--truths', 't.csv', '--batch', '501'], '--batch needs a whole number from 1 to 500, not "501"'],
    [['--truths', 't.csv', '--batch', '0'], '--batch needs a whole number from 1 to 500, not "0"'],
    [['--truths', 't.csv', '--batch', '2.5'], '--batch needs a whole number from 1 to 500, not "2.5"'],
    [['--truths', 't.csv', '--concurrency', '33'], '--concurrency needs a whole number from 1 to 32, not "33"'],
    [['--truths', 't.csv', '--url', 'localhost:3000'], '--url needs an http:// or https:// address, not "localhost:3000"'],
  ])('refuses %j, saying why, then the usage', (args, message) => {
    const error = usageError(args);

    expect(error).toBeInstanceOf(UsageError);
    expect(error.message.startsWith(message)).toBe(true);
    expect(error.message).toContain('usage: npm run ingest --');
    expect(error.asked).toBe(false);
  });

  it('shows the usage when asked', () => {
    const error = usageError(['--help']);

    expect(error.asked).toBe(true);
    expect(error.message).toMatch(/^usage: npm run ingest --/);
    expect(error.message).toContain('--predictions FILE  CSV with the header id,value[,model][,timestamp][,feature.<name>...]');
  });

  it('refuses a truths file with feature columns before sending anything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ml-monitor-ingest-'));
    writeFileSync(join(dir, 'truths.csv'), 'id,value,feature.age\na,1,3\n');
    writeFileSync(join(dir, 'predictions.csv'), 'id,value,feature.age\na,1,3\n');

    await expect(checkFiles([{ kind: 'predictions', path: join(dir, 'predictions.csv') }])).resolves.toBeUndefined();
    await expect(checkFiles([{ kind: 'truths', path: join(dir, 'truths.csv') }])).rejects.toThrow(
      /a truth carries no features: only predictions do\)\nnothing was sent$/,
    );
  });

  it('checks every file before sending anything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ml-monitor-ingest-'));
    writeFileSync(join(dir, 'good.csv'), 'id,value\na,1\n');
    writeFileSync(join(dir, 'bad.csv'), 'id;value\na;1\n');

    await expect(checkFiles([{ kind: 'truths', path: join(dir, 'good.csv') }])).resolves.toBeUndefined();
    await expect(
      checkFiles([
        { kind: 'truths', path: join(dir, 'missing.csv') },
        { kind: 'predictions', path: join(dir, 'bad.csv') },
      ]),
    ).rejects.toThrow(
      new UsageError(
        `--truths ${join(dir, 'missing.csv')}: no such file\n` +
          `--predictions ${join(dir, 'bad.csv')}: the first line must be the header "id,value" (and optionally ",model", ",timestamp" and ",feature.<name>" columns), not "id;value"\n` +
          'nothing was sent',
      ),
    );
  });

  it('sums a file up: rows sent, each refused row with its line and reason', () => {
    const text = formatOutcome('t.csv', {
      route: 'http://localhost:3000/truths',
      rows: 1203,
      sent: 1200,
      refused: [
        { line: 4, id: 'a b', reason: 'id: id may hold only letters, digits and . _ : + -' },
        { line: 9, id: '', reason: 'id: id is empty' },
      ],
      failed: 1,
      failures: ['the API answered 413: too big'],
    });

    expect(text).toBe(
      [
        't.csv → http://localhost:3000/truths: 1,203 rows, 1,200 sent, 2 refused, 1 not sent',
        '  refused line 4 (id a b): id: id may hold only letters, digits and . _ : + -',
        '  refused line 9: id: id is empty',
        '  not sent: the API answered 413: too big',
      ].join('\n'),
    );
  });
});
