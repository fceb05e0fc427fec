import type { EcsContext } from './context';
import {
  DEPLOYMENT_LOG_LIMIT,
  type DeploymentLogEntry,
  type StoredDeployment,
  type StoredService,
} from './model';

/** The emulator's append-only deployment log (see {@link DeploymentLogEntry}); not an AWS API. */

/** Logs the start of deployment `d`, with the deployments of the service still in flight. */
export function logStart(
  ctx: EcsContext,
  s: StoredService,
  d: StoredDeployment,
  kind: DeploymentLogEntry['kind'],
  inFlight: StoredDeployment[],
): void {
  const log = (ctx.store.data.deploymentLog ??= []);
  log.push({
    service: s.arn,
    deploymentId: d.id,
    taskDefinition: d.taskDefinition,
    kind,
    startedAt: Date.now(),
    outcome: 'IN_PROGRESS',
    overlapped: inFlight.map((x) => x.id),
  });
  if (log.length > DEPLOYMENT_LOG_LIMIT) log.splice(0, log.length - DEPLOYMENT_LOG_LIMIT);
  ctx.store.changed();
}

/** Logs how deployment `d` ended (only the first outcome counts). */
export function logEnd(ctx: EcsContext, d: StoredDeployment, outcome: DeploymentLogEntry['outcome']): void {
  const log = ctx.store.data.deploymentLog ?? [];
  for (let i = log.length - 1; i >= 0; i--) {
    if (log[i].deploymentId === d.id) {
      if (log[i].outcome === 'IN_PROGRESS') Object.assign(log[i], { outcome, endedAt: Date.now() });
      break;
    }
  }
  ctx.store.changed();
}
