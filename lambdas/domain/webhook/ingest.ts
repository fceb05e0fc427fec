import { getConfig, type ShipgateConfig } from '../../shared/config';
import { logger } from '../../shared/logger';
import { buildReleaseInput, pipelineEventKey } from '../releases/input';
import { startRelease, type StartedRelease, type StartReleaseDeps } from '../releases/start';
import { authenticateDelivery, type AuthDeps, type AuthMethod } from './auth';
import { deliveryKey, getDelivery, recordDelivery } from './deliveries';
import { parseGitlabEvent } from './events';
import { decideTrigger } from './triggers';

/** A GitLab delivery as received: the raw body (exactly the bytes signed) and the headers it reads. */
export interface Delivery {
  rawBody: string;
  /** Header lookup, case-insensitive (e.g. hono's `c.req.header`). */
  header: (name: string) => string | undefined;
}

/** What Shipgate did with a delivery. */
export type IngestResult =
  | ({ outcome: 'started'; replayed: boolean; auth: AuthMethod } & StartedRelease)
  | { outcome: 'ignored'; reason: string; auth: AuthMethod };

/** Dependencies of {@link ingestDelivery}. */
export interface IngestDeps extends AuthDeps, StartReleaseDeps {
  config?: ShipgateConfig;
}

/**
 * Handles one GitLab delivery end to end: authenticate (signature or token) → parse and validate the event
 * against `X-Gitlab-Event` → decide with the project's release rules → dedupe → start the release.
 *
 * A redelivery (same `Idempotency-Key` / `webhook-id`) answers the stored result without calling
 * StartExecution; a delivery of the same event under another key reaches StartExecution with the same
 * name and input, which Step Functions answers with the same execution. Never waits on the workflow.
 *
 * @throws UnauthorizedError, BadRequestError (see `authenticateDelivery`, `parseGitlabEvent`),
 *   ConflictError when the execution name exists with other input.
 * @example const result = await ingestDelivery({ rawBody, header: (n) => c.req.header(n) });
 */
export async function ingestDelivery(delivery: Delivery, deps: IngestDeps = {}): Promise<IngestResult> {
  const { rawBody, header } = delivery;
  const auth = await authenticateDelivery(
    rawBody,
    {
      'x-gitlab-token': header('x-gitlab-token'),
      'webhook-id': header('webhook-id'),
      'webhook-timestamp': header('webhook-timestamp'),
      'webhook-signature': header('webhook-signature'),
    },
    deps,
  );
  const event = parseGitlabEvent(header('x-gitlab-event'), rawBody);
  const config = deps.config ?? getConfig();
  const decision = decideTrigger(event, config);
  if (decision.action === 'ignore') {
    logger.info('Delivery ignored', { objectKind: event.object_kind, reason: decision.reason });
    return { outcome: 'ignored', reason: decision.reason, auth };
  }

  const attrs = decision.event.object_attributes;
  const eventKey = pipelineEventKey(decision.event.project.id, attrs.id, attrs.status);
  const key = deliveryKey(
    { idempotencyKey: header('idempotency-key'), webhookId: header('webhook-id') },
    eventKey,
  );
  const seen = await getDelivery(key, deps);
  // A key recorded for another event (a sender reusing keys) is not a redelivery of this one.
  if (seen && seen.eventKey === eventKey) {
    logger.info('Redelivery answered from the delivery record', { deliveryKey: key, release: seen.release });
    return {
      outcome: 'started',
      replayed: true,
      auth,
      release: seen.release,
      execution: seen.execution,
      executionArn: seen.executionArn,
      ...(seen.startDate ? { startDate: seen.startDate } : {}),
    };
  }

  const input = buildReleaseInput(decision.event, decision.project, config, decision);
  const started = await startRelease(input, deps);
  const recorded = await recordDelivery(
    { ...started, deliveryKey: key, eventKey, receivedAt: (deps.now?.() ?? new Date()).toISOString() },
    deps,
  );
  const stored = recorded.eventKey === eventKey ? recorded : { ...started, deliveryKey: key, eventKey };
  logger.info('Release started', {
    release: stored.release,
    executionArn: stored.executionArn,
    deliveryKey: key,
  });
  return {
    outcome: 'started',
    replayed: false,
    auth,
    release: stored.release,
    execution: stored.execution,
    executionArn: stored.executionArn,
    ...(stored.startDate ? { startDate: stored.startDate } : {}),
  };
}
