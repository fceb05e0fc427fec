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
  ],
  testTimeout: 60000,
  modulePathIgnorePatterns: ['<rootDir>/cdk.out'],
};
