/**
 * Phase 5: what deploys. `sls package` builds each function as AWS would get it (a
 * zip holding one esbuild bundle); the bench reports each handler's unzipped size
 * and zip size, and its init time: the median over fresh `node` processes of
 * `require()` of the unzipped bundle, what a cold start pays before the handler runs.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_DIR } from '../infra/local/toolbox/localDefaults.js';
import { SERVERLESS_BIN, slsEnv } from '../infra/local/toolbox/sls.js';
import type { Cleanup } from './cleanup.js';
import { median } from './stats.js';

const run = promisify(execFile);

export interface BundleFigures {
  readonly bundleBytes: number;
  readonly zipBytes: number;
  readonly initMs: number;
  readonly initSamplesMs: readonly number[];
}

export interface BundlesResult {
  readonly functions: Readonly<Record<string, BundleFigures>>;
}

/** A script that loads `file` in a fresh node and prints how long the require took, in ms. */
const requireTimer = (file: string) => `
const started = process.hrtime.bigint();
require(${JSON.stringify(file)});
process.stdout.write(String(Number(process.hrtime.bigint() - started) / 1e6));
`;

export async function measureBundles(options: { cleanup: Cleanup; say: (line: string) => void; samples?: number }): Promise<BundlesResult> {
  const { cleanup, say } = options;
  const samples = options.samples ?? 5;
  await run('unzip', ['-v']).catch(() => {
    throw new Error('unzip is not on PATH (apt-get install unzip); it reads the packaged bundles');
  });
  const packageDir = await mkdtemp(join(tmpdir(), 'ml-monitor-bench-package-'));
  cleanup.add('package dir', () => rm(packageDir, { recursive: true, force: true }));
  const buildFolder = `.esbuild-bench-package-${process.pid}-${randomBytes(3).toString('hex')}`;
  cleanup.add('package build folder', () => rm(join(PROJECT_DIR, buildFolder), { recursive: true, force: true }));

  say('bundles: sls package…');
  try {
    // Asynchronous (not the toolbox's runSls), so that Ctrl+C is heard while it builds.
    await run(process.execPath, [SERVERLESS_BIN, 'package', '--package', packageDir], {
      cwd: PROJECT_DIR,
      env: slsEnv({ AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', ESBUILD_WORK_FOLDER: buildFolder }),
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const output = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`sls package failed: ${output.message}\n${(output.stdout ?? '') + (output.stderr ?? '')}`.slice(0, 4_000));
  }

  const zips = (await readdir(packageDir)).filter((name) => name.endsWith('.zip')).sort();
  if (zips.length === 0) throw new Error(`sls package wrote no zip into ${packageDir}`);
  const functions: Record<string, BundleFigures> = {};
  for (const zip of zips) {
    const name = zip.replace(/\.zip$/, '');
    const unzipped = join(packageDir, name);
    await run('unzip', ['-q', '-o', join(packageDir, zip), '-d', unzipped]);
    // The handler is functions/<name>.handler (serverless.yml); its bundle is functions/<name>.js.
    const bundle = join(unzipped, 'functions', `${name}.js`);
    const bundleBytes = (
      await stat(bundle).catch(() => {
        throw new Error(`${zip} holds no functions/${name}.js`);
      })
    ).size;
    const initSamplesMs: number[] = [];
    for (let i = 0; i < samples; i++) {
      const { stdout } = await run(process.execPath, ['-e', requireTimer(bundle)], {
        cwd: unzipped,
        // What a Lambda would have at init, minus the real endpoint: loading must not need the network.
        env: {
          PATH: process.env.PATH ?? '',
          AWS_REGION: 'us-east-1',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          POWERTOOLS_LOG_LEVEL: 'SILENT',
        },
      });
      initSamplesMs.push(Number(stdout.trim()));
    }
    functions[name] = { bundleBytes, zipBytes: (await stat(join(packageDir, zip))).size, initMs: median(initSamplesMs), initSamplesMs };
    say(`bundles: ${name}: ${(bundleBytes / 1024).toFixed(0)} KiB, init ${median(initSamplesMs).toFixed(1)} ms`);
  }
  return { functions };
}
