import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { app } from '../../lambdas/http/app';

/**
 * The real Shipgate hono app served by `@hono/node-server`, as the sandbox serves it, in its own process so the
 * load generator and the AWS stand-ins do not share its event loop. The parent sets the environment (AWS
 * endpoints, table, state machine, token, config) and reads `LISTENING <port>` from stdout.
 */
const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => {
  process.stdout.write(`LISTENING ${info.port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
