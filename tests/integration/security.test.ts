/**
 * What must never be exposed: the embedded emulator and chart renderer listen on
 * loopback only, and the repository holds no credentials but the emulators' dummies.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startMoto } from '../../infra/local/cloud/moto.js';
import { findFreePort } from '../../infra/local/cloud/net.js';
import { startRendererServer } from '../../infra/local/renderer/server.js';
import { PROJECT_DIR } from '../../infra/local/toolbox/localDefaults.js';

/** Local addresses listening on `port`, read from the kernel's socket tables. */
function listeningAddresses(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const found: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = readFileSync(table, 'utf8').split('\n').slice(1);
    for (const line of lines) {
      const [, local, , state] = line.trim().split(/\s+/);
      // State 0A is LISTEN.
      if (state === '0A' && local?.endsWith(`:${hexPort}`)) found.push(local.split(':')[0] as string);
    }
  }
  return found;
}

const LOOPBACK_V4 = '0100007F';

describe('network exposure', () => {
  it('runs moto_server on 127.0.0.1 only', async () => {
    const port = await findFreePort();
    const moto = await startMoto(port);
    try {
      expect(listeningAddresses(port)).toEqual([LOOPBACK_V4]);
    } finally {
      await moto.stop();
    }
  });

  it('runs the chart renderer on 127.0.0.1 only by default', async () => {
    const renderer = await startRendererServer({ port: 0 });
    try {
      expect(listeningAddresses(renderer.port)).toEqual([LOOPBACK_V4]);
    } finally {
      await renderer.close();
    }
  });
});

describe('credentials in the repository', () => {
  const files = execFileSync('git', ['ls-files'], { cwd: PROJECT_DIR, encoding: 'utf8' })
    .split('\n')
    // Tracked files as they are in the working tree (one being deleted is not there to read).
    .filter((file) => file !== '' && !/\.(png|zip|csv)$/.test(file) && file !== 'package-lock.json' && existsSync(join(PROJECT_DIR, file)));

  it('holds no AWS access key id', () => {
    const offenders = files.filter((file) => /\b(AKIA|ASIA)[0-9A-Z]{16}\b/.test(readFileSync(join(PROJECT_DIR, file), 'utf8')));

    expect(offenders).toEqual([]);
  });

  it('sets credentials only to the emulators\' dummy "test"', () => {
    const assignments = files.flatMap((file) =>
      [
        ...readFileSync(join(PROJECT_DIR, file), 'utf8').matchAll(
          /AWS_(?:ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN)["']?\s*[:=]\s*["']?([A-Za-z0-9/+=]+)(?![.\w])/g,
        ),
      ].map((match) => ({ file, value: match[1] })),
    );

    expect(assignments.length).toBeGreaterThan(0);
    expect(assignments.filter((a) => a.value !== 'test')).toEqual([]);
  });
});
