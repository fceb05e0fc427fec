import 'aws-sdk-client-mock-jest';

// The bundles and handlers that tests run in this process would print their EMF metric lines (Powertools
// Metrics) to the test output; sandboxes started as processes (test/integ/sandbox) keep them, and read them.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
