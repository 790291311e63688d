/**
 * moto pinned where it is installed: the version README and .ci/run name is the one
 * the fast wrapper patches and the one installed here, and when moto would run plain
 * `npm start` says so in one line, with what that costs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MOTO_INSTALL, MOTO_VERSION, plainMotoNotice, plainMotoReason } from '../../../../../infra/local/cloud/moto.js';
import { PROJECT_DIR } from '../../../../../infra/local/toolbox/localDefaults.js';

describe('the moto the local cloud runs', () => {
  it.each(['README.md', '.ci/run'])('is installed at its pinned version by %s', (file) => {
    const text = readFileSync(join(PROJECT_DIR, file), 'utf8');

    const installs = [...text.matchAll(/pip install ["']?moto\[server\]([^"'\s]*)/g)].map((match) => match[1]);

    expect(installs.length).toBeGreaterThan(0);
    // .ci/run names the version once, in MOTO_PIN, and installs `moto[server]==$MOTO_PIN`.
    const pin = file === '.ci/run' ? '==$MOTO_PIN' : `==${MOTO_VERSION}`;
    expect(new Set(installs)).toEqual(new Set([pin]));
    if (file === '.ci/run') expect(text).toContain(`MOTO_PIN=${MOTO_VERSION}`);
  });

  it('is the pinned version here, which the wrapper patches', () => {
    expect(plainMotoReason()).toBeUndefined();
  });

  it('falls back to plain moto when MOTO_FAST=0, and says what that costs in one line', () => {
    const saved = process.env.MOTO_FAST;
    process.env.MOTO_FAST = '0';
    try {
      const reason = plainMotoReason();
      expect(reason).toBe('MOTO_FAST=0');

      const line = plainMotoNotice(reason as string);
      expect(line).not.toContain('\n');
      expect(line).toContain('1.1 s at 5,000 deep');
      expect(line).toContain(MOTO_INSTALL);
    } finally {
      if (saved === undefined) delete process.env.MOTO_FAST;
      else process.env.MOTO_FAST = saved;
    }
  });
});
