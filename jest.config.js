const { availableParallelism } = require('node:os');

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/services'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }],
    // oauth4webapi (GitLab sign-in) ships only as an ES module; jest runs CommonJS, so it is compiled too.
    '/node_modules/oauth4webapi/.+\\.js$': [
      'ts-jest',
      {
        tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2022', esModuleInterop: true },
        diagnostics: false,
      },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!oauth4webapi/)'],
  setupFilesAfterEnv: ['<rootDir>/test/helpers/setup.ts'],
  // One SHIPGATE_SANDBOX_SEED per run (the emulators' variation), printed when a suite fails.
  globalSetup: '<rootDir>/test/helpers/sandbox-seed.js',
  // No forceExit: a run ends on its own. open-handles-reporter names what a suite left open (server, socket,
  // child process, timer) if one ever keeps it from ending.
  reporters: [
    'default',
    '<rootDir>/test/helpers/sandbox-seed-reporter.js',
    '<rootDir>/test/helpers/open-handles-reporter.js',
    // The slowest tests and any over 60 s, at the end of every run (a list, never a failure).
    '<rootDir>/test/helpers/slow-tests-reporter.js',
  ],
  testTimeout: 60000,
  // At least two workers, also on a 2-core machine (where jest's default, cores - 1, runs in band): the sandbox
  // suites spend most of their time waiting on their sandbox process, so two side by side keep both cores
  // busy. Measured on the 2-core CI machine, full run: in band 779 s, two workers 410 s. In band
  // (`npx jest --runInBand`) is what the open-handles reporter needs to see a leak; with workers, jest names a
  // worker that did not exit ("A worker process has failed to exit gracefully").
  maxWorkers: Math.max(2, availableParallelism() - 1),
  modulePathIgnorePatterns: ['<rootDir>/cdk.out'],
};
