/**
 * findFreePort chooses below the kernel's ephemeral range, where no outgoing connection can
 * take a port between its choosing and a child binding it, and never hands out a port in use.
 */

import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { findFreePort } from '../../../../../infra/local/cloud/net.js';
import { portWasTaken } from '../../../../helpers/stack.js';

const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function listen(port: number): Promise<void> {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
}

describe('findFreePort', () => {
  it("chooses ports outside this machine's ephemeral range, each free, and a new one each time", async () => {
    const [ephemeralFrom] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    const ports: number[] = [];
    for (let i = 0; i < 10; i += 1) {
      const port = await findFreePort();
      await listen(port); // Free: it binds, and stays bound while the next ones are chosen.
      ports.push(port);
    }
    expect(new Set(ports).size).toBe(10);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(20_000);
      expect(port).toBeLessThan(Math.min(32_000, ephemeralFrom as number));
    }
  });
});

describe('portWasTaken', () => {
  it('tells a start that lost its port from a start that failed otherwise', () => {
    expect(portWasTaken(new Error('sls offline start exited (code 1): listen EADDRINUSE: address already in use 127.0.0.1:38417'))).toBe(
      true,
    );
    expect(portWasTaken(new Error('port 2001 (LAMBDA_PORT, the Lambda endpoint) is taken (another npm start?)'))).toBe(true);
    expect(portWasTaken(new Error('moto_server exited early with code 1 (is port 2000 taken?)'))).toBe(true);
    expect(portWasTaken(new Error('sls offline start exited (code 1): TypeError: x is not a function'))).toBe(false);
  });
});
