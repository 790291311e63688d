/** infra/tools/launch.cjs: a CLI's bundle is built, used while its sources are unchanged, and built again after an edit. */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_DIR } from '../../../../infra/local/toolbox/localDefaults.js';

interface Launcher {
  buildBundle(entry: string, cacheDir: string): Promise<string>;
  freshBundle(cacheDir: string): string | undefined;
  cacheDirOf(entry: string, cacheRoot: string): string;
}
const require = createRequire(__filename);
const launcher = require('../../../../infra/tools/launch.cjs') as Launcher;

describe('launch.cjs', () => {
  let cacheDir: string;
  let bundle: string;

  beforeAll(async () => {
    // Under the project's node_modules, as the real cache: the bundle finds its packages from there.
    const root = join(PROJECT_DIR, 'node_modules/.cache/ml-monitor');
    await mkdir(root, { recursive: true });
    cacheDir = launcher.cacheDirOf('infra/tools/model/train.ts', await mkdtemp(join(root, 'launch-test-')));
    bundle = await launcher.buildBundle('infra/tools/model/train.ts', cacheDir);
  });
  afterAll(() => rm(dirname(cacheDir), { recursive: true, force: true }));

  it('uses the bundle while every file it was built from is unchanged', () => {
    expect(launcher.freshBundle(cacheDir)).toBe(bundle);
    const manifest = JSON.parse(readFileSync(join(cacheDir, 'manifest.json'), 'utf8')) as { inputs: { path: string }[] };
    expect(manifest.inputs.map((input) => input.path)).toEqual(
      expect.arrayContaining([
        'infra/tools/model/train.ts',
        'infra/local/toolbox/localDefaults.ts',
        'package.json',
        'infra/tools/launch.cjs',
      ]),
    );
  });

  it('keeps each module its own __dirname, so paths computed from it point into the project', () => {
    const train = require(bundle) as { MODEL_FILE: string; main: unknown };

    expect(train.MODEL_FILE).toBe(join(PROJECT_DIR, 'functions/commons/model/model.json'));
    expect(typeof train.main).toBe('function');
  });

  it('builds again once a file it was built from differs', () => {
    const path = join(cacheDir, 'manifest.json');
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as { inputs: { path: string; latin1: string }[] };
    const source = manifest.inputs.find((input) => input.path === 'infra/local/toolbox/localDefaults.ts');
    if (source === undefined) throw new Error('localDefaults.ts is not in the manifest');
    // As if localDefaults.ts had been edited since the build.
    source.latin1 += '\n';
    writeFileSync(path, JSON.stringify(manifest));

    expect(launcher.freshBundle(cacheDir)).toBeUndefined();
  });
});
