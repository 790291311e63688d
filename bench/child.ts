/**
 * The bench's measurements that need a process of their own (the metric handler with
 * a fresh module and moto, the plot CLI as `npm run plot` starts it) run through here:
 * to the end, timed, stdout kept, and the last JSON line of it is their result.
 */
import { spawn } from 'node:child_process';
import { PROJECT_DIR } from '../infra/local/toolbox/localDefaults.js';

/** Runs `command args` to its end; rejects with the tail of its output unless it exits 0. */
export function runChild(
  command: string,
  args: readonly string[],
  onChild: (stop: () => void) => void = () => undefined,
): Promise<{ stdout: string; wallMs: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, {
      cwd: PROJECT_DIR,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    onChild(() => child.kill('SIGTERM'));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-5_000)));
    child.once('error', reject);
    // 'close', not 'exit': the last line of stdout may still be on its way at 'exit'.
    child.once('close', (code, signal) => {
      if (code === 0) resolve({ stdout, wallMs: performance.now() - started });
      else reject(new Error(`${args.join(' ')} exited with ${signal ?? `code ${code}`}: ${stderr.trim() || stdout.trim()}`));
    });
  });
}

/** The last line of `stdout` that is a JSON object holding every one of `keys`. */
export function lastJsonLine<T>(stdout: string, keys: readonly string[]): T | undefined {
  for (const line of stdout.trim().split('\n').reverse()) {
    try {
      const value = JSON.parse(line) as unknown;
      if (typeof value === 'object' && value !== null && keys.every((key) => key in value)) return value as T;
    } catch {
      // not a JSON line
    }
  }
  return undefined;
}
