/**
 * Handlers as Lambda loads them, for the phases that time a cold start: each one
 * bundled by esbuild with serverless.yml's own `custom.esbuild` settings (read with
 * `sls print`: loaders, aliases, externals, minification), as serverless-esbuild
 * builds them for `sls offline` and `sls package`. The bundles go into a build folder
 * of their own inside the project, so the externals (@napi-rs/canvas, the fonts)
 * resolve from its node_modules, as under `sls offline`; `cleanup` removes it.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PROJECT_DIR } from '../infra/local/toolbox/localDefaults.js';
import { printService, slsEnv } from '../infra/local/toolbox/sls.js';
import type { Cleanup } from './cleanup.js';

/** serverless-esbuild's settings, as far as the bundles are concerned. */
export interface ServerlessEsbuild {
  readonly bundle?: boolean;
  readonly minify?: boolean;
  readonly sourcemap?: boolean;
  readonly target?: string;
  readonly platform?: 'node';
  readonly mainFields?: readonly string[];
  readonly format?: 'cjs' | 'esm';
  /** Left out of the bundle and of the package (serverless-esbuild); `external`: out of the bundle, installed into the package. */
  readonly exclude?: readonly string[];
  readonly external?: readonly string[];
  readonly loader?: Readonly<Record<string, string>>;
  readonly alias?: Readonly<Record<string, string>>;
}

/** esbuild's options for `entryPoints` into `outdir` from serverless-esbuild's settings. Pure. */
export function esbuildOptions(settings: ServerlessEsbuild, entryPoints: readonly string[], outdir: string) {
  return {
    absWorkingDir: PROJECT_DIR,
    entryPoints: [...entryPoints],
    outdir,
    outbase: PROJECT_DIR,
    bundle: settings.bundle ?? true,
    minify: settings.minify ?? false,
    sourcemap: settings.sourcemap ?? false,
    target: settings.target ?? 'node20',
    platform: settings.platform ?? 'node',
    format: settings.format ?? 'cjs',
    ...(settings.mainFields === undefined ? {} : { mainFields: [...settings.mainFields] }),
    external: [...new Set([...(settings.exclude ?? []), ...(settings.external ?? [])])],
    loader: { ...(settings.loader ?? {}) } as Record<string, 'text'>,
    alias: { ...(settings.alias ?? {}) },
    logLevel: 'silent' as const,
  };
}

/** Bundles `functions/<name>.ts` for each name; returns each bundle's path. */
export async function bundleHandlers(names: readonly string[], cleanup: Cleanup): Promise<Readonly<Record<string, string>>> {
  const service = printService<{ custom?: { esbuild?: ServerlessEsbuild } }>(
    slsEnv({ AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' }),
  );
  const settings = service.custom?.esbuild;
  if (settings === undefined) throw new Error('serverless.yml has no custom.esbuild settings');
  const folder = join(PROJECT_DIR, `.esbuild-bench-handlers-${process.pid}-${randomBytes(3).toString('hex')}`);
  cleanup.add('handler bundles', () => rm(folder, { recursive: true, force: true }));
  const { build } = await import('esbuild');
  await build(
    esbuildOptions(
      settings,
      names.map((name) => join(PROJECT_DIR, 'functions', `${name}.ts`)),
      folder,
    ),
  );
  return Object.fromEntries(names.map((name) => [name, join(folder, 'functions', `${name}.js`)]));
}
