import { GetExecutionHistoryCommand, ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ShipgateConfig } from '../../shared/config';
import { releaseBoundSeconds } from '../../shared/monitoring/bound';
import { getRelease } from '../releases/store';

/**
 * Releases stuck longer than their configured waits allow (issue 31, alarm `ReleaseStuck`): RUNNING, older
 * than {@link releaseBoundSeconds}, once the time the execution spent waiting for deploy freezes to end is
 * taken off (a freeze has its own end, outside Shipgate's config).
 */

/** What {@link findStuckReleases} reads. */
export interface StuckDeps {
  ddb: Pick<DynamoDBDocumentClient, 'send'>;
  sfn: Pick<SFNClient, 'send'>;
  table: string;
  config: ShipgateConfig;
  /** The release state machine (unqualified: its executions of every version and alias). */
  stateMachineArn: string;
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
 * The running releases past their bound. Step Functions says which run (ListExecutions, RUNNING, every page:
 * however many releases came since, a stuck one is found); the history is read only for those already past
 * the bound, which should be none, and an unreadable history counts whole (the alarm errs towards firing).
 * @example const stuck = await findStuckReleases({ ddb, sfn, table, config, stateMachineArn, now: () => new Date() });
 */
export async function findStuckReleases(deps: StuckDeps): Promise<StuckRelease[]> {
  const bound = releaseBoundSeconds(deps.config);
  const now = deps.now().getTime();
  const stuck: StuckRelease[] = [];
  let nextToken: string | undefined;
  do {
    const page = await deps.sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: deps.stateMachineArn,
        statusFilter: 'RUNNING',
        maxResults: 1000,
        nextToken,
      }),
    );
    for (const execution of page.executions ?? []) {
      const started = execution.startDate ? new Date(execution.startDate).getTime() : NaN;
      const age = (now - started) / 1000;
      if (!execution.executionArn || !execution.name || !(age > bound)) continue;
      const frozenMs = await freezeWaitMs(execution.executionArn, deps).catch(() => 0);
      const running = age - frozenMs / 1000;
      if (!(running > bound)) continue;
      // The execution is named after its release (releases/start.ts).
      const release = await getRelease(execution.name, {
        ddb: deps.ddb as DynamoDBDocumentClient,
        table: deps.table,
      }).catch(() => undefined);
      stuck.push({
        id: execution.name,
        runningSeconds: Math.round(running),
        boundSeconds: bound,
        ...(release?.currentStep ? { currentStep: release.currentStep } : {}),
      });
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return stuck;
}
