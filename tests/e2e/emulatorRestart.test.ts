/**
 * The embedded emulator dies and comes back: npm start's stack restarts moto, the
 * bootstrap plugin re-creates the queues and bucket, the event source reconnects,
 * and new records flow again — without sls offline exiting or hanging.
 */
import { describe, expect, it } from 'vitest';
import { eventually, stackForFile, waitForRows } from '../helpers/stack.js';

const theStack = stackForFile({ LOCAL_CLOUD_WATCH_SECONDS: '1' });

describe('when the emulator restarts', () => {
  it('recovers by itself: rows flow again, with clear log lines', async () => {
    const stack = theStack();
    let slsExited = false;
    void stack.slsExit.then(() => {
      slsExited = true;
    });
    const before = await stack.invoke<{ emitted: string[] }>('features');
    await waitForRows(stack, before.emitted);

    process.kill(stack.emulatorPid() as number, 'SIGKILL');
    await eventually('moto back and the queues re-created', async () =>
      /moto_server is back/.test(stack.output()) && /came back without/.test(stack.output()) ? true : undefined,
    );
    const after = await eventually('a features run after the restart', () => stack.invoke<{ emitted: string[] }>('features'));
    const rows = await waitForRows(stack, after.emitted, 120_000);

    expect(rows).toHaveLength(after.emitted.length);
    expect(stack.output()).toMatch(/moto_server exited \(SIGKILL\)/);
    expect(slsExited).toBe(false);
  }, 240_000);
});
