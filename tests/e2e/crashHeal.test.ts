/**
 * sls offline dies mid-flow (SIGKILL, as a crash would): the stack says so, starts it
 * again and leaves moto running; the messages the dead process held come back after
 * their visibility timeout, and every emitted id ends as exactly one row.
 */
import { describe, expect, it } from 'vitest';
import { eventually, finalRows, stackForFile } from '../helpers/stack.js';

/** Three features runs of a hundred: each well inside the function timeout on a loaded machine. */
const RUNS = 3;
const RECORDS_PER_RUN = 100;
const theStack = stackForFile({
  // What the killed process held comes back after 30 s; the shipped function timeout
  // (30 s) fits in it. 15 s once timed a features run out beside another e2e stack.
  SQS_VISIBILITY_TIMEOUT: '30',
  FUNCTION_TIMEOUT: '30',
  RECORDS_PER_RUN: String(RECORDS_PER_RUN),
});

describe('when sls offline is killed mid-flow', () => {
  it('is restarted, keeps moto, and ends with every record as exactly one row', async () => {
    // Prepare
    const stack = theStack();
    const motoPid = stack.emulatorPid();
    const firstSls = stack.slsPid();
    const emitted: string[] = [];
    for (let run = 0; run < RUNS; run++) emitted.push(...(await stack.invoke<{ emitted: string[] }>('features')).emitted);
    expect(new Set(emitted).size).toBe(RUNS * RECORDS_PER_RUN);
    await eventually('the first metric batch', async () => (/sqs → metric: \d+ messages?/.test(stack.output()) ? true : undefined));

    // Act
    process.kill(firstSls as number, 'SIGKILL');
    await eventually('sls offline back', async () => (/sls offline start is back/.test(stack.output()) ? true : undefined), 180_000);
    // Every id a row, and nothing left to deliver: what the dead process held and wrote comes back too, so a
    // second row of an id would be in the log now.
    const rows = await finalRows(stack, emitted, 240_000);

    // Assess
    expect(stack.output()).toMatch(/sls offline start exited \(SIGKILL\)/);
    expect(stack.slsPid()).not.toBe(firstSls);
    expect(stack.emulatorPid()).toBe(motoPid);
    expect(stack.output()).not.toMatch(/moto_server exited/);
    const perId = new Map<string, number>();
    for (const row of rows) perId.set(row.id, (perId.get(row.id) ?? 0) + 1);
    expect([...perId.values()].filter((count) => count !== 1)).toEqual([]);
    expect(perId.size).toBe(RUNS * RECORDS_PER_RUN);
    // Under sls offline the functions log readable lines, not JSON.
    expect(stack.output()).toMatch(/^\d\d:\d\d:\d\d features\s+INFO\s+Records emitted count=100/m);
  }, 480_000);
});
