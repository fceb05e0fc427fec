import { pick } from '../variation';

/**
 * Reason texts of service deployments (`rollback.reason`, `statusReason`). ECS documents none of their
 * wording ("The reason the rollback happened. For example, the circuit breaker initiated the rollback
 * operation."), so each is drawn from a few phrasings (seeded: `SHIPGATE_SANDBOX_SEED`) and none names an
 * ARN or a hook id: code that decides from these texts breaks in the sandbox before it breaks on AWS. What
 * happened is read from the structured fields (`lifecycleHookDetails`, `deploymentCircuitBreaker`, `alarms`).
 */
export const REASONS = {
  circuitBreaker: [
    'ECS deployment circuit breaker: tasks failed to start.',
    'The deployment circuit breaker was triggered; rolling back.',
    'Tasks of the new service revision kept stopping, so the service deployment is rolled back.',
  ],
  lambdaHook: [
    'A lifecycle hook did not succeed; rolling back.',
    'Rollback started because a deployment lifecycle hook failed.',
    'Service deployment rolled back: a hook returned a failure.',
  ],
  pauseTimedOut: [
    'A pause hook timed out; its timeout action is ROLLBACK.',
    'Nobody continued the paused deployment in time, so it is rolled back.',
    'Rolling back after a pause hook expired.',
  ],
  pauseRolledBack: [
    'Rollback requested at a pause hook.',
    'A user chose to roll back the paused deployment.',
    'The paused service deployment is rolled back on request.',
  ],
  stopRollback: [
    'Rollback requested with StopServiceDeployment.',
    'A user stopped the service deployment; rolling back.',
    'Service deployment stopped on request and rolled back.',
  ],
  stopAbort: ['Stop (ABORT) requested with StopServiceDeployment.', 'A user stopped the service deployment.'],
} as const;

/** One phrasing of a reason. */
export function reason(kind: keyof typeof REASONS): string {
  return pick(REASONS[kind]);
}
