import { defineConfig } from 'vitest/config';

/** Test files that run alone (their own npm script sets the flag), never beside the rest. */
const SOLO_TESTS = [
  { path: 'tests/e2e/bench.test.ts', flag: 'ML_MONITOR_BENCH_TEST' },
  { path: 'tests/e2e/burst.test.ts', flag: 'ML_MONITOR_BURST_TEST' },
];

export default defineConfig({
  plugins: [
    {
      // The features handler imports the data set as text (esbuild's "text" loader
      // in serverless.yml); this gives the tests the same import.
      name: 'csv-as-text',
      transform(code, id) {
        if (id.endsWith('.csv')) return { code: `export default ${JSON.stringify(code)};`, map: null };
        return undefined;
      },
    },
  ],
  test: {
    include: ['tests/**/*.test.ts'],
    // Two tests load the machine as a whole stack each would not: they run on their own.
    // The bench's smoke run is `npm run test:bench` (beside the other stack tests it once
    // left records in flight past its time-out); the storm is `npm run test:burst`, which
    // `npm test` runs after the rest, alone, as a user's machine would carry it.
    exclude: ['**/node_modules/**', ...SOLO_TESTS.filter((file) => !process.env[file.flag]).map((file) => file.path)],
    reporters: ['default', './tests/summaryReporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration and e2e tests each start their own emulator on a free port; two
    // cores are plenty for that but not for many stacks at once.
    maxWorkers: 2,
    minWorkers: 1,
    // The SDK's notice that its 2027 releases need Node 22 (we pin ours in the lockfile).
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
