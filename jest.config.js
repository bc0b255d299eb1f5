/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.test.json' }],
  },
  testTimeout: 120000,
  // test/rules/traffic.test.ts runs its promtool files two at a time.
  maxConcurrency: 2,
  // Most suites wait on child processes (promtool, Prometheus, Alertmanager): use both cores.
  maxWorkers: 2,
};
