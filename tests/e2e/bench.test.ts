/**
 * `npm run bench` for real, small: 300 records through the whole stack, the
 * emulator probe and the bundles, into a temporary bench.json. Checks that the
 * document has every key with sane values and that the bench cleaned up after
 * itself. Never asserts on speed: these machines vary, and the bench is for that.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_DIR } from '../../infra/stack.js';

interface Run {
  readonly code: number | null;
  readonly pid: number | undefined;
  readonly stdout: string;
  readonly stderr: string;
}

let dir: string;
let run: Run;
let report: Record<string, any>;

function runBench(args: readonly string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_DIR, 'infra/bench/main.ts'), ...args], {
      cwd: PROJECT_DIR,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, pid: child.pid, stdout, stderr }));
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ml-monitor-bench-e2e-'));
  run = await runBench([
    '--records',
    '300',
    '--skip-plot',
    '--skip-metric-cost',
    // The depth phase fills a queue to 10,000 messages: its own `--only depth` run covers it.
    '--skip-depth',
    '--capacity-records',
    '500',
    '--timeout',
    '120',
    '--output',
    join(dir, 'bench.json'),
  ]);
  report = JSON.parse(await readFile(join(dir, 'bench.json'), 'utf8')) as Record<string, any>;
}, 150_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('npm run bench', () => {
  it('pushes every record through the real pipeline and exits 0', () => {
    expect(run.stderr).not.toMatch(/FAILED/);
    expect(run.code).toBe(0);
    expect(report.status).toBe('ok');
    expect(report.records).toBe(300);
    expect(report.pipeline.metric_log).toEqual({ rows: 300, distinctIds: 300, missing: 0, doubled: 0, unexpected: 0 });
  });

  it('writes every key of bench.json', () => {
    for (const key of [
      'records',
      'records_per_s',
      'latency_ms',
      'requests_per_record',
      'requests_by_operation',
      'invocations_per_record',
      'peak_rss_mb',
      'max_queue_depth',
      'metric_cost_ratio_100k_vs_1k',
      'bundle_bytes',
      'emulator_capacity_records_per_s',
      'pipeline_vs_emulator_ratio',
      'init_ms',
      'plot_cli',
      'settings',
      'machine',
    ]) {
      expect(report, key).toHaveProperty(key);
    }
  });

  it('reports sane figures', () => {
    expect(report.records_per_s).toBeGreaterThan(0);
    const { p50, p95, p99 } = report.latency_ms;
    expect(p50).toBeGreaterThan(0);
    expect(p50).toBeLessThanOrEqual(p95);
    expect(p95).toBeLessThanOrEqual(p99);
    // Three queue cycles of ten-message batches are the floor; far above it something is wrong.
    expect(report.requests_per_record).toBeGreaterThanOrEqual(0.9);
    expect(report.requests_per_record).toBeLessThan(3);
    for (const operation of ['sqs:SendMessageBatch', 'sqs:ReceiveMessage', 'sqs:DeleteMessageBatch', 's3:GetObject', 's3:PutObject']) {
      expect(report.requests_by_operation[operation], operation).toBeGreaterThan(0);
    }
    const counted = Object.values(report.requests_by_operation as Record<string, number>).reduce((sum, n) => sum + n, 0);
    expect(counted / report.records).toBeCloseTo(report.requests_per_record, 2);
    expect(report.invocations_per_record).toBeGreaterThan(0);
    expect(Object.keys(report.invocations_by_function).sort()).toEqual(['features', 'metric', 'plot', 'predictor']);
    expect(report.peak_rss_mb).toBeGreaterThan(0);
    expect(report.emulator_peak_rss_mb).toBeGreaterThan(0);
    expect(report.max_queue_depth).toBeGreaterThan(0);
    expect(report.emulator_capacity_records_per_s).toBeGreaterThan(0);
    expect(report.pipeline_vs_emulator_ratio).toBeGreaterThan(0);
    expect(Object.keys(report.bundle_bytes).sort()).toEqual(['features', 'metric', 'plot', 'predictor']);
    for (const fn of Object.keys(report.bundle_bytes)) {
      expect(report.bundle_bytes[fn]).toBeGreaterThan(report.zip_bytes[fn]);
      expect(report.init_ms[fn]).toBeGreaterThan(0);
    }
    expect(report.machine.cpus).toBeGreaterThan(0);
    expect(report.settings.RECORDS_PER_RUN).toBeGreaterThan(0);
  });

  it('says which phases it skipped', () => {
    expect(report.metric_cost_ratio_100k_vs_1k).toBeNull();
    expect(report.phases.metric_cost).toMatch(/skipped/);
    expect(report.plot_cli).toMatch(/skipped/);
    expect(report.emulator_depth).toMatch(/skipped/);
  });

  it('prints the table and leaves no build folder behind', () => {
    expect(run.stdout).toMatch(/requests_per_record/);
    const leftovers = readdirSync(PROJECT_DIR).filter(
      (name) => name.startsWith(`.esbuild-bench-${run.pid}-`) || name.startsWith(`.esbuild-bench-package-${run.pid}-`),
    );
    expect(leftovers).toEqual([]);
  });
});
