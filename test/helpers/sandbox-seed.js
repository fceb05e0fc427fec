/**
 * Jest globalSetup: one SHIPGATE_SANDBOX_SEED for the whole run (the test workers and the sandboxes the tests
 * start inherit it), drawn when the caller gave none, so the emulators' variation (list orders, reason texts:
 * sandbox/aws/variation.ts) can be replayed. sandbox-seed-reporter.js prints it when a suite fails.
 */
module.exports = async () => {
  const given = process.env.SHIPGATE_SANDBOX_SEED;
  if (given === undefined || given === '') {
    process.env.SHIPGATE_SANDBOX_SEED = String(Math.floor(Math.random() * 2 ** 31));
  }
};
