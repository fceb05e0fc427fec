import { pauseAllowanceSeconds, rolloutSettings, type ShipgateConfig } from '../config';

/**
 * The longest a release may run by its configuration, deploy-freeze waits left out (a freeze has its own
 * end, outside Shipgate's config: the reconciler subtracts the time an execution spent in "Wait for <env>
 * freeze to end"). Every wait of the workflow is bounded by a setting; this adds them up, environment by
 * environment, as if every one of them ran to its limit:
 *
 * - the scan: `scan.waitFor` (plus its Lambda's minute);
 * - per environment: the approval (`approval.timeout`); the rollout, batch by batch of
 *   `rollout.maxConcurrency` services — the wait for another release's lock (bounded by the holder's
 *   rollout, its pauses, plus 5 minutes of retry backoff), then `rollout.timeout`, two `rollout.eventGrace`
 *   (the start's and the last check's) and the longest pause allowance of a service there; the smoke checks
 *   (`verify.attempts` × (`requestTimeout` + `interval`)); and a rollback, as long as a rollout;
 * - a fixed 15 minutes for the Lambda steps in between (each bounded by its own timeout, most by a minute).
 *
 * A release running longer than this is stuck: a wait that should have ended did not (alarm
 * `ReleaseStuck`).
 * @example releaseBoundSeconds(config) // the example config: about 7.5 days (3 days of approvals each)
 */
export function releaseBoundSeconds(config: ShipgateConfig): number {
  const { rollout, verify, scan } = config;
  const widestProject = Math.max(1, ...config.projects.map((p) => p.services.length));
  const batches = Math.ceil(widestProject / rollout.maxConcurrency);
  const stepsSlack = 15 * 60;
  let total = scan.waitFor + 60 + stepsSlack;
  for (const env of config.environments) {
    const pauses = Math.max(
      0,
      ...Object.keys(config.services).map((service) =>
        pauseAllowanceSeconds(rolloutSettings(config, service, env.name)),
      ),
    );
    const lockWait = rollout.timeout + rollout.eventGrace + pauses + 300;
    const oneRollout = rollout.timeout + 2 * rollout.eventGrace + pauses;
    const smoke = verify.attempts * (verify.requestTimeout + verify.interval) + 60;
    const rollback = rollout.timeout + 2 * rollout.eventGrace;
    total += env.approval.timeout + batches * (lockWait + oneRollout + rollback) + smoke;
  }
  return total;
}
