/**
 * Python with numpy and scipy as a referee: a test hands it its own fixture as JSON on
 * stdin and reads scipy's figures back from stdout, so the reference values are
 * computed at test time, never pasted in. CI has python3 with both; elsewhere the
 * tests that need it are skipped, with `SCIPY_MISSING` saying why.
 */
import { spawnSync } from 'node:child_process';

const PYTHON = 'python3';

function probe(modules: string): string | undefined {
  const run = spawnSync(PYTHON, ['-c', `import ${modules}`], { encoding: 'utf8' });
  if (run.error) return `${PYTHON} is not on PATH (${run.error.message})`;
  if (run.status !== 0) return `${PYTHON} lacks ${modules}: ${run.stderr.trim().split('\n').at(-1)}`;
  return undefined;
}

/** Why the scipy referee cannot run here, or undefined when it can. */
export const SCIPY_MISSING = probe('numpy, scipy');

let sklearnProbe: { readonly missing: string | undefined } | undefined;

/**
 * Why scikit-learn cannot referee here, or undefined when it can; probed on first call,
 * as importing sklearn costs a second the scipy tests need not pay. Only sanity figures
 * use it (a comparison, not a bound), so CI need not have it; their tests skip without.
 */
export function sklearnMissing(): string | undefined {
  sklearnProbe ??= { missing: probe('numpy, scipy, sklearn') };
  return sklearnProbe.missing;
}

/** Runs `script` (which reads `data = json.load(sys.stdin)` and prints one JSON value) on `input`. */
export function runReferee<T>(script: string, input: unknown): T {
  const program = `import json, sys\nimport numpy as np\nimport scipy.stats\ndata = json.load(sys.stdin)\n${script}`;
  const run = spawnSync(PYTHON, ['-c', program], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`the python referee failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

/** A describe title that says, when the referee is missing, why its tests are skipped. */
export function refereeTitle(title: string): string {
  return SCIPY_MISSING === undefined ? title : `${title} (skipped: ${SCIPY_MISSING}; CI has python3 with numpy and scipy)`;
}
