import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { PayloadTooLargeError, ShipgateError } from '../shared/errors';
import { logger } from '../shared/logger';
import { requireIamBehindApiGateway } from './iam';
import { approvalGate } from '../domain/approvals/gate';
import { pauseGate } from '../domain/pauses/gate';
import { authRoutes } from './routes/auth';
import { decisionRoutes } from './routes/decisions';
import { metricsRoutes } from './routes/metrics';
import { quarantineRoutes } from './routes/quarantines';
import { releaseRoutes } from './routes/releases';
import { rollbackRoutes } from './routes/rollbacks';
import { slackRoutes } from './routes/slack';
import { webhookRoutes } from './routes/webhooks';

/**
 * Shipgate's one HTTP app: the same instance runs in Lambda (`handler.ts`) and in the sandbox
 * (`@hono/node-server`). Routes are split with `app.route()`; errors are mapped to statuses here only.
 */
export const app = new Hono();

/** Largest body of the form and Slack routes (the webhook route has its own 4 MiB limit). */
export const FORM_BODY_LIMIT = 1024 * 1024;
const formBodyLimit = bodyLimit({
  maxSize: FORM_BODY_LIMIT,
  onError: () => {
    throw new PayloadTooLargeError(`Body is over the ${FORM_BODY_LIMIT}-byte limit of this route`);
  },
});
app.use('/approvals/*', formBodyLimit);
app.use('/pauses/*', formBodyLimit);
app.use('/auth/*', formBodyLimit);
app.use('/slack/*', formBodyLimit);
// Every read and operator route, present and future: SigV4-signed (IAM) when running behind API Gateway.
app.use('/api/*', requireIamBehindApiGateway);

app.get('/healthz', (c) => c.json({ ok: true }));
app.route('/webhooks', webhookRoutes);
app.route('/approvals', decisionRoutes(approvalGate));
app.route('/pauses', decisionRoutes(pauseGate));
app.route('/auth', authRoutes);
app.route('/slack', slackRoutes);
app.route('/api/releases', releaseRoutes);
app.route('/api/rollbacks', rollbackRoutes);
app.route('/api/metrics', metricsRoutes);
app.route('/api/quarantines', quarantineRoutes);

app.notFound((c) => c.json({ error: `No route for ${c.req.method} ${c.req.path}` }, 404));

app.onError((err, c) => {
  if (err instanceof HTTPException) {
    return err.getResponse();
  }
  // Client errors and "try again later" (503) carry a message meant for the caller (GitLab shows it in the
  // hook's Recent events); other 5xx stay generic and are logged.
  if (err instanceof ShipgateError && (err.status < 500 || err.status === 503)) {
    if (err.status >= 500) logger.error('Service unavailable', { error: err, path: c.req.path });
    return c.json({ error: err.message }, err.status as 400);
  }
  logger.error('Unhandled error', { error: err, path: c.req.path });
  return c.json(
    { error: 'Internal error (details are in the Shipgate logs); GitLab deliveries can be resent safely.' },
    500,
  );
});
