/**
 * The four parts and their one direction: the runtime (functions/) stands on its own;
 * the local cloud (infra/local/) may use the runtime; the tools (infra/tools/) the local
 * cloud and the runtime; the bench (bench/) any of them; never the other way. And
 * outside the functions, infra/local/settings.ts is the one reader of the environment's
 * settings (the rest may only pass the environment on to a child).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_DIR } from '../../infra/local/toolbox/localDefaults.js';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|cjs|mjs|js)$/.test(entry.name) ? [path] : [];
  });
}

/** The project folders each file of `part` imports from (relative imports only, resolved). */
function importsOf(part: string): { file: string; target: string }[] {
  return sourceFiles(join(PROJECT_DIR, part)).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/(?:from|import|require)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((match) => ({
      file: relative(PROJECT_DIR, file),
      target: relative(PROJECT_DIR, resolve(dirname(file), match[1] as string)),
    })),
  );
}

/** Each part, and the parts above it that it must never import. */
const NEVER: Record<string, string[]> = {
  functions: ['infra/', 'bench/'],
  'infra/local': ['infra/tools/', 'bench/'],
  'infra/tools': ['bench/'],
  'infra/packaging': ['infra/local/', 'infra/tools/', 'bench/'],
};

describe('layering', () => {
  for (const [part, above] of Object.entries(NEVER)) {
    it(`keeps ${part}/ free of imports from ${above.join(', ')}`, () => {
      const upward = importsOf(part)
        .filter(({ target }) => above.some((folder) => target.startsWith(folder)))
        .map(({ file, target }) => `${file} imports ${target}`);

      expect(upward).toEqual([]);
    });
  }

  it('has a one-line README in each part saying what it holds', () => {
    for (const part of ['functions', 'infra', 'infra/local', 'infra/tools', 'infra/packaging', 'bench']) {
      const text = readFileSync(join(PROJECT_DIR, part, 'README.md'), 'utf8')
        .trim()
        .split('\n');
      expect(text[0], part).toBe(`# ${part}`);
      expect(
        text.slice(1).filter((line) => line.trim() !== ''),
        part,
      ).toHaveLength(1);
    }
  });

  it('reads settings from the environment in infra/local/settings.ts only', () => {
    const settingsModule = join(PROJECT_DIR, 'infra', 'local', 'settings.ts');
    const readers = [...sourceFiles(join(PROJECT_DIR, 'infra')), ...sourceFiles(join(PROJECT_DIR, 'bench'))]
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
