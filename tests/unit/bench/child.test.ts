/** bench/child.ts: measurements in processes of their own. */
import { describe, expect, it } from 'vitest';
import { lastJsonLine, runChild } from '../../../bench/child.js';

describe('lastJsonLine', () => {
  it('takes the last JSON object holding every key asked for', () => {
    const stdout = '{"rows":1,"wall_ms":2}\nlog line\n{"rows":3,"wall_ms":4}\n{"other":true}\n';

    expect(lastJsonLine(stdout, ['rows', 'wall_ms'])).toEqual({ rows: 3, wall_ms: 4 });
  });

  it('is undefined when no line has them', () => {
    expect(lastJsonLine('plain\n[1,2]\n', ['rows'])).toBeUndefined();
  });
});

describe('runChild', () => {
  it('returns the whole stdout of a child that exits 0, and how long it ran', async () => {
    const { stdout, wallMs } = await runChild(process.execPath, ['-e', 'process.stdout.write("a\\n{\\"done\\":1}\\n")']);

    expect(lastJsonLine(stdout, ['done'])).toEqual({ done: 1 });
    expect(wallMs).toBeGreaterThan(0);
  });

  it('rejects with the tail of stderr when the child fails', async () => {
    const run = runChild(process.execPath, ['-e', 'console.error("broken"); process.exit(3)']);

    await expect(run).rejects.toThrow(/exited with code 3: broken/);
  });
});
