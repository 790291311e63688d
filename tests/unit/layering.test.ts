/**
 * The runtime stands on its own: nothing under functions/ imports from infra/ (tools,
 * local cloud, bench); and outside the functions, infra/settings.ts is the one reader of
 * the environment's settings (the rest may only pass the environment on to a child).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_DIR } from '../../infra/toolbox/localDefaults.js';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|cjs|mjs|js)$/.test(entry.name) ? [path] : [];
  });
}

describe('layering', () => {
  it('keeps functions/ free of imports from infra/', () => {
    const upward = sourceFiles(join(PROJECT_DIR, 'functions')).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/(?:from|import|require)\s*\(?\s*['"]([^'"]+)['"]/g)]
        .map((match) => match[1] as string)
        .filter((specifier) => /(^|\/)infra\//.test(specifier))
        .map((specifier) => `${relative(PROJECT_DIR, file)} imports ${specifier}`),
    );

    expect(upward).toEqual([]);
  });

  it('reads settings from the environment in infra/settings.ts only', () => {
    const settingsModule = join(PROJECT_DIR, 'infra', 'settings.ts');
    const readers = sourceFiles(join(PROJECT_DIR, 'infra'))
      .filter((file) => file !== settingsModule)
      .flatMap((file) =>
        readFileSync(file, 'utf8')
          .split('\n')
          .map((line, index) => ({ line, where: `${relative(PROJECT_DIR, file)}:${index + 1}` }))
          // A named variable read (not set, not deleted): PATH passed on to a child is no setting.
          .filter(({ line }) => /process\.env(\.[A-Z_]+|\[)/.test(line))
          .filter(({ line }) => !/process\.env\.[A-Z_]+\s*(\?\?|\|\|)?=[^=]|delete process\.env|process\.env\.PATH\b/.test(line))
          .map(({ where, line }) => `${where}: ${line.trim()}`),
      );

    expect(readers).toEqual([]);
  });
});
