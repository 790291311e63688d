/** What the event source says while SQS does not answer. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { describeSqsError, type EventSourceLogger, OutageReporter } from '../../../../../infra/local/event-source/outage.js';

describe('OutageReporter', () => {
  const lines: string[] = [];
  const logger: EventSourceLogger = {
    debug: (message) => lines.push(`debug ${message}`),
    info: (message) => lines.push(`info ${message}`),
    warn: (message) => lines.push(`warn ${message}`),
    error: (message) => lines.push(`error ${message}`),
  };
  const reporter = () =>
    new OutageReporter({ prefix: 'sqs → metric', problem: 'cannot receive', recovered: 'SQS answers again' }, logger, {
      delayMs: 500,
      maxDelayMs: 10_000,
    });

  beforeEach(() => {
    lines.length = 0;
    vi.useFakeTimers({ now: 0 });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('warns once when trouble starts, notes a new cause, and says when it is over', () => {
    const outage = reporter();

    outage.failed('SQS endpoint unreachable (ECONNREFUSED)');
    outage.failed('SQS endpoint unreachable (ECONNREFUSED)');
    outage.failed('queue does not exist (yet)');
    vi.setSystemTime(2_500);
    outage.succeeded();
    outage.succeeded();

    expect(lines).toEqual([
      'warn sqs → metric: cannot receive: SQS endpoint unreachable (ECONNREFUSED); retrying every 0.5 s doubling to 10 s until it works',
      'info sqs → metric: still failing, now: queue does not exist (yet)',
      'info sqs → metric: SQS answers again after 2.5 s',
    ]);
  });

  it('says nothing while all is well', () => {
    const outage = reporter();

    outage.succeeded();

    expect(lines).toEqual([]);
  });
});

describe('describeSqsError', () => {
  it.each([
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), { code: 'ECONNREFUSED' }), 'SQS endpoint unreachable (ECONNREFUSED)'],
    [Object.assign(new Error('timed out'), { name: 'TimeoutError' }), 'SQS endpoint unreachable (timed out)'],
    [Object.assign(new Error('gone'), { name: 'QueueDoesNotExist' }), 'queue does not exist (yet)'],
    [Object.assign(new Error('gone'), { name: 'AWS.SimpleQueueService.NonExistentQueue' }), 'queue does not exist (yet)'],
    [Object.assign(new Error('slow down'), { name: 'ThrottlingException' }), 'ThrottlingException: slow down'],
    [new Error('plain'), 'plain'],
    ['a string', 'a string'],
  ])('describes %s', (error, description) => {
    expect(describeSqsError(error)).toBe(description);
  });
});
