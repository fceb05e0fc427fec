import { DescribeAlarmsCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { ServiceDeployment } from '@aws-sdk/client-ecs';
import { logger } from '../../shared/logger';
import type { RolloutRecord } from '../rollout/types';
import type { PauseFacts } from './types';

/**
 * What a pause message shows: the paused step in words, the smoke checks so far, the contract's CloudWatch
 * alarms and the traffic weights, read when the pause opens.
 */

/** `sha256:0123456789ab…` */
export const shortDigest = (digest: string) => (digest.length > 19 ? `${digest.slice(0, 19)}…` : digest);

const pct = (n: number | undefined) => `${Number((n ?? 0).toFixed(1))} %`;

/** The strategy settings the step sentence needs (from the rollout plan). */
export interface StepSettings {
  strategy: string;
  canary?: { canaryPercent: number; canaryBakeTimeInMinutes: number };
  linear?: { stepPercent: number; stepBakeTimeInMinutes: number };
  bakeTimeInMinutes?: number;
}

/**
 * The paused step in words.
 * @example stepInWords('PRE_PRODUCTION_TRAFFIC_SHIFT', 10, 100, 'sha256:…', canary) // '10 % of production traffic on sha256:…, baked 5 min; next: 100 %'
 */
export function stepInWords(
  stage: string,
  production: number | undefined,
  test: number | undefined,
  digest: string,
  settings: StepSettings,
): string {
  const on = shortDigest(digest);
  const prod = production ?? 0;
  switch (stage) {
    case 'POST_TEST_TRAFFIC_SHIFT':
      return `${pct(test ?? 100)} of test traffic and ${pct(prod)} of production traffic on ${on}, before any production traffic moves`;
    case 'PRE_PRODUCTION_TRAFFIC_SHIFT': {
      if (prod <= 0) {
        const first = settings.canary?.canaryPercent ?? settings.linear?.stepPercent ?? 100;
        return `${pct(0)} of production traffic on ${on}; next: ${pct(first)}`;
      }
      const bake = settings.canary?.canaryBakeTimeInMinutes ?? settings.linear?.stepBakeTimeInMinutes;
      const next = settings.linear ? Math.min(100, prod + settings.linear.stepPercent) : 100;
      return `${pct(prod)} of production traffic on ${on}${bake !== undefined ? `, baked ${bake} min` : ''}; next: ${pct(next)}`;
    }
    case 'POST_PRODUCTION_TRAFFIC_SHIFT':
      return `${pct(prod || 100)} of production traffic on ${on}, before the ${settings.bakeTimeInMinutes ?? 0} min bake`;
    default:
      return `${pct(prod)} of production traffic on ${on} (ECS stage ${stage})`;
  }
}

/** Smoke checks so far, as the rollout record holds them. */
export function smokeLines(record: Pick<RolloutRecord, 'smokeChecks' | 'verifyFailure'>): string[] {
  const lines = (record.smokeChecks ?? []).map(
    (c) =>
      `${c.passed ? 'passed' : 'failed'}: ${c.detail} (${c.stage}, ${c.attempts} attempt${c.attempts === 1 ? '' : 's'})`,
  );
  if (record.verifyFailure) lines.push(`failed: ${record.verifyFailure}`);
  return lines.length ? lines : ['none ran yet'];
}

/** The alarms' states (one DescribeAlarms), or a note saying why they are unknown; never throws. */
export async function alarmStates(
  names: string[],
  cloudwatch: Pick<CloudWatchClient, 'send'> | undefined,
): Promise<Pick<PauseFacts, 'alarms' | 'alarmNote'>> {
  if (names.length === 0) return { alarms: [], alarmNote: 'the deploy contract lists no CloudWatch alarms' };
  if (!cloudwatch)
    return { alarms: names.map((name) => ({ name, state: 'UNKNOWN' })), alarmNote: 'not read' };
  try {
    const out = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: names.slice(0, 100) }));
    const found = new Map(
      [...(out.MetricAlarms ?? []), ...(out.CompositeAlarms ?? [])].map((a) => [a.AlarmName, a.StateValue]),
    );
    return { alarms: names.map((name) => ({ name, state: found.get(name) ?? 'NOT_FOUND' })) };
  } catch (err) {
    logger.warn('pause: alarm states unavailable', { error: (err as Error)?.name });
    return {
      alarms: names.map((name) => ({ name, state: 'UNKNOWN' })),
      alarmNote: `CloudWatch did not answer (${(err as Error)?.name ?? 'error'})`,
    };
  }
}

/** Gathers the facts of a pause. */
export async function pauseFacts(
  sd: ServiceDeployment,
  record: RolloutRecord,
  settings: StepSettings,
  alarms: string[],
  cloudwatch: Pick<CloudWatchClient, 'send'> | undefined,
): Promise<PauseFacts> {
  const test = sd.targetServiceRevision?.requestedTestTrafficWeight;
  const production = sd.targetServiceRevision?.requestedProductionTrafficWeight;
  return {
    step: stepInWords(sd.lifecycleStage ?? 'UNKNOWN', production, test, record.digest, settings),
    smoke: smokeLines(record),
    ...(await alarmStates(alarms, cloudwatch)),
    weights: { test, production },
  };
}
