/**
 * `npm run renderer` / `tsx infra/renderer/main.ts [--port N]`: runs the
 * QuickChart-compatible renderer so the pipeline can draw charts without Docker.
 * Host and port come from RENDERER_HOST (default 127.0.0.1) and RENDERER_PORT
 * (default 3400, QuickChart's port in our setup); --port wins over the env.
 */
import { startRendererServer } from './server.js';

const DEFAULT_HOST = '127.0.0.1';
const DEFAULT_PORT = 3400;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

/** A startup problem with a message fit for the terminal, and the exit code to use. */
class StartupError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

function usageError(message: string): StartupError {
  return new StartupError(`${message}; usage: tsx infra/renderer/main.ts [--port N]`, 2);
}

function parsePort(text: string, source: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text.trim()) || port > 65_535) {
    throw usageError(`${source} must be a port number between 0 and 65535, got "${text}"`);
  }
  return port;
}

/** `--port N` or `--port=N`; undefined when absent. */
function portFromArgs(args: readonly string[]): number | undefined {
  const [arg, value] = args;
  if (arg === undefined) return undefined;
  if (arg.startsWith('--port=')) return parsePort(arg.slice('--port='.length), '--port');
  if (arg === '--port') {
    if (value === undefined) throw usageError('--port needs a value');
    return parsePort(value, '--port');
  }
  throw usageError(`unknown argument "${arg}"`);
}

function resolveAddress(): { host: string; port: number } {
  const host = process.env.RENDERER_HOST?.trim() || DEFAULT_HOST;
  const envPort = process.env.RENDERER_PORT?.trim();
  const port = portFromArgs(process.argv.slice(2)) ?? (envPort ? parsePort(envPort, 'RENDERER_PORT') : DEFAULT_PORT);
  return { host, port };
}

function explainListenError(error: unknown, host: string, port: number): unknown {
  const code = error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined;
  if (code === 'EADDRINUSE') {
    return new StartupError(
      `cannot listen on ${host}:${port}: the port is already in use (another renderer or QuickChart?). ` +
        'Stop it, or pick another port with RENDERER_PORT=N or --port N.',
      1,
    );
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    return new StartupError(`cannot listen on ${host}:${port}: no such local address (check RENDERER_HOST)`, 1);
  }
  return error;
}

function closeOnSignals(close: () => Promise<void>): void {
  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    console.log(`[renderer] ${signal} received, closing`);
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('[renderer] error while closing:', error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

async function main(): Promise<void> {
  const { host, port } = resolveAddress();
  if (!LOOPBACK_HOSTS.has(host)) {
    console.warn(
      `[renderer] WARNING: binding ${host}, not loopback. The renderer has no authentication; do not expose it beyond this machine.`,
    );
  }
  const renderer = await startRendererServer({ host, port }).catch((error: unknown) => {
    throw explainListenError(error, host, port);
  });
  console.log(`[renderer] QuickChart-compatible renderer listening on ${renderer.url} (POST /chart, GET /healthcheck)`);
  closeOnSignals(renderer.close);
}

main().catch((error: unknown) => {
  if (error instanceof StartupError) {
    console.error(`[renderer] ${error.message}`);
    process.exit(error.exitCode);
  }
  console.error('[renderer] failed to start:', error);
  process.exit(1);
});
