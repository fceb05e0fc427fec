import { GetExecutionHistoryCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ShipgateConfig } from '../../shared/config';
import { releaseBoundSeconds } from '../../shared/monitoring/bound';
import { listReleases } from '../releases/store';

/**
 * Releases stuck longer than their configured waits allow (issue 31, alarm `ReleaseStuck`): RUNNING, older
 * than {@link releaseBoundSeconds}, once the time the execution spent waiting for deploy freezes to end is
 * taken off (a freeze has its own end, outside Shipgate's config). The history is read only for releases
 * already past the bound, which should be none.
 */

/** What {@link findStuckReleases} reads. */
export interface StuckDeps {
  ddb: Pick<DynamoDBDocumentClient, 'send'>;
  sfn: Pick<SFNClient, 'send'>;
  table: string;
  config: ShipgateConfig;
  now: () => Date;
}

/** One stuck release. */
export interface StuckRelease {
  id: string;
  /** Seconds it has run, freeze waits taken off. */
  runningSeconds: number;
  boundSeconds: number;
  currentStep?: string;
}

const FREEZE_WAIT = /^Wait for .+ freeze to end$/;

/** Milliseconds an execution spent in "Wait for <env> freeze to end" states (a wait still open counts to now). */
export async function freezeWaitMs(
  executionArn: string,
  deps: Pick<StuckDeps, 'sfn' | 'now'>,
): Promise<number> {
  let total = 0;
  let enteredAt: number | undefined;
  let nextToken: string | undefined;
  do {
    const page = await deps.sfn.send(
      new GetExecutionHistoryCommand({
        executionArn,
        maxResults: 1000,
        includeExecutionData: false,
        nextToken,
      }),
    );
    for (const e of page.events ?? []) {
      const at = e.timestamp ? new Date(e.timestamp).getTime() : undefined;
      if (at === undefined) continue;
      if (e.type === 'WaitStateEntered' && FREEZE_WAIT.test(e.stateEnteredEventDetails?.name ?? ''))
        enteredAt = at;
      if (
        e.type === 'WaitStateExited' &&
        enteredAt !== undefined &&
        FREEZE_WAIT.test(e.stateExitedEventDetails?.name ?? '')
      ) {
        total += at - enteredAt;
        enteredAt = undefined;
      }
    }
    nextToken = page.nextToken;
  } while (nextToken);
  if (enteredAt !== undefined) total += deps.now().getTime() - enteredAt;
  return total;
}

/**
 * The RUNNING releases among the newest 100 that run past their bound.
 * @example const stuck = await findStuckReleases({ ddb, sfn, table, config, now: () => new Date() });
 */
export async function findStuckReleases(deps: StuckDeps): Promise<StuckRelease[]> {
  const bound = releaseBoundSeconds(deps.config);
  const { releases } = await listReleases(
    { limit: 100 },
    { ddb: deps.ddb as DynamoDBDocumentClient, table: deps.table },
  );
  const now = deps.now().getTime();
  const stuck: StuckRelease[] = [];
  for (const r of releases) {
    if (r.status !== 'RUNNING') continue;
    const age = (now - Date.parse(r.createdAt)) / 1000;
    if (!(age > bound)) continue;
    const running = age - (await freezeWaitMs(r.executionArn, deps)) / 1000;
    if (running > bound) {
      stuck.push({
        id: r.id,
        runningSeconds: Math.round(running),
        boundSeconds: bound,
        ...(r.currentStep ? { currentStep: r.currentStep } : {}),
      });
    }
  }
  return stuck;
}
