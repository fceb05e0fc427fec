import { randomUUID } from 'node:crypto';
import { eventEnvelope } from '../eventbridge';
import { epochSeconds } from '../protocol';
import type { EcsContext } from './context';
import type { StoredDeployment, StoredService } from './model';

/**
 * What ECS tells the outside about a service: the service's own `events` (DescribeServices, newest first,
 * the last 100) and the "ECS Deployment State Change" events sent to EventBridge.
 */

/** Adds a service event (`(service <name>) <message>`), keeping the newest 100. */
export function addEvent(s: StoredService, message: string): void {
  s.events.unshift({
    id: randomUUID(),
    createdAt: epochSeconds(),
    message: `(service ${s.name}) ${message}`,
  });
  s.events.length = Math.min(s.events.length, 100);
}

/** Sends an "ECS Deployment State Change" event for deployment `d` of service `s` to the sink. */
export function emit(
  ctx: EcsContext,
  s: StoredService,
  d: StoredDeployment,
  eventName: string,
  eventType: 'INFO' | 'ERROR',
  reason: string,
): void {
  ctx.sink(
    eventEnvelope(ctx.account, 'ECS Deployment State Change', 'aws.ecs', [s.arn], {
      eventType,
      eventName,
      deploymentId: d.id,
      updatedAt: new Date().toISOString(),
      reason,
    }),
  );
}
