/**
 * `npm run renderer [-- --port N]`: runs our QuickChart-compatible renderer on its own,
 * so charts can be drawn locally without a QuickChart Docker container (`npm start`
 * starts the same server itself). Address: RENDERER_HOST (default 127.0.0.1) and
 * RENDERER_PORT (default 3400, QuickChart's port in our setup); --port wins over the env.
 */
import { parseArgs } from 'node:util';
import { readLocalSetting } from '../settings.js';
import { startRendererServer } from './server.js';

const USAGE = 'usage: npm run renderer -- [--port N]  (or RENDERER_PORT=N; RENDERER_HOST sets the address)';

function exit(message: string, code: number): never {
  console.error(`[renderer] ${message}`);
  process.exit(code);
}

function portNumber(text: string, source: string): number {
  if (!/^\s*\d{1,5}\s*$/.test(text) || Number(text) > 65_535)
    exit(`${source} must be a port number from 0 to 65535, got "${text}"; ${USAGE}`, 2);
  return Number(text);
}

async function main(): Promise<void> {
  let flags: { port?: string | undefined; help?: boolean | undefined };
  try {
    flags = parseArgs({ options: { port: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }).values;
  } catch (error) {
    exit(`${(error as Error).message}\n${USAGE}`, 2);
  }
  if (flags.help) {
    console.log(USAGE);
    process.exit(0);
  }
  let host: string;
  let port: number;
  try {
    host = readLocalSetting('rendererHost') as string;
    port = flags.port !== undefined ? portNumber(flags.port, '--port') : (readLocalSetting('rendererPort') as number);
  } catch (error) {
    return exit((error as Error).message, 2);
  }
  if (!['127.0.0.1', '::1', 'localhost'].includes(host)) {
    console.warn(
      `[renderer] WARNING: binding ${host}, not loopback. The renderer has no authentication; do not expose it beyond this machine.`,
    );
  }
  const renderer = await startRendererServer({ host, port }).catch((error: NodeJS.ErrnoException) => {
    const hint = error.code === 'EADDRINUSE' ? ' (another renderer or QuickChart?); stop it, or pick another port with --port N' : '';
    return exit(`cannot listen on ${host}:${port}: ${error.message}${hint}`, 1);
  });
  console.log(`[renderer] QuickChart-compatible renderer listening on ${renderer.url} (POST /chart, GET /healthcheck)`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.log(`[renderer] ${signal} received, closing`);
      renderer.close().then(
        () => process.exit(0),
        (error: Error) => exit(`error while closing: ${error.message}`, 1),
      );
    });
  }
}

main().catch((error: Error) => exit(`failed to start: ${error.stack ?? error.message}`, 1));
