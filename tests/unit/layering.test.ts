/** The runtime stands on its own: nothing under functions/ imports from infra/ (tools, local cloud, bench). */
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
});
