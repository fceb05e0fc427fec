import { randomUUID } from 'node:crypto';
import { logger } from '../../lambdas/shared/logger';
import type { EventBridgeEvent } from '../aws/ecs';
import type { StoredExecution } from '../aws/sfn-model';
import type { AsyncInvoker } from '../workflow/async-invoke';
import type { LocalLambdas } from '../workflow/lambda';
import { FUNCTION_ARNS } from './functions';
import { usageMeter } from '../meter';

/** AWS's "Step Functions Execution Status Change" event of an execution. */
export function executionStatusChangeEvent(e: StoredExecution) {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: '000000000000',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: [e.executionArn],
    detail: {
      executionArn: e.executionArn,
      stateMachineArn: e.stateMachineArn,
      name: e.name,
      status: e.status,
      startDate: Math.round(e.startDate * 1000),
      stopDate: e.stopDate ? Math.round(e.stopDate * 1000) : null,
      input: e.input,
      output: null,
      error: e.error ?? null,
      cause: e.cause ?? null,
    },
  };
}

/**
 * The EventBridge rules of the stack, played locally: deployment events reach the rollout-events Lambda and
 * executions that end without their own "Report failure" (stopped, or interrupted by a sandbox stop) reach
 * the execution-events Lambda. EventBridge invokes Lambda asynchronously, so both go through the async
 * invoker (Lambda's two retries, then the on-failure destination).
 */
export class EventTargets {
  private readonly announced = new Set<string>();
  private stopping = false;

  constructor(
    private readonly invoker: AsyncInvoker,
    private readonly lambdas: LocalLambdas,
  ) {}

  /** Delivers an ECS or CodeDeploy deployment event to rollout-events. */
  deliverDeploymentEvent(event: EventBridgeEvent): void {
    usageMeter.event(`${event.source} ${event['detail-type']}`);
    this.invoker.invoke(FUNCTION_ARNS.rolloutEvents, event);
  }

  /** Announces an execution that was ABORTED or TIMED_OUT, once. */
  executionChanged(e: StoredExecution): void {
    if (
      (e.status !== 'ABORTED' && e.status !== 'TIMED_OUT') ||
      this.announced.has(e.executionArn) ||
      this.stopping
    )
      return;
    this.announced.add(e.executionArn);
    usageMeter.event('aws.states Step Functions Execution Status Change');
    this.invoker.invoke(FUNCTION_ARNS.executionEvents, executionStatusChangeEvent(e));
  }

  /** The sandbox is stopping: executions it aborts now are announced by {@link announceNow}, awaited. */
  beginStop(): void {
    this.stopping = true;
  }

  /**
   * A graceful stop (Ctrl-C, SIGTERM) aborts the running executions and announces each at once, while the
   * sandbox's DynamoDB, endpoint and chat inbox are still up (at most `timeoutMs`): the release is recorded
   * ABORTED, its approvals end and chat hears "Aborted", as after a SIGKILL and restart.
   */
  async announceNow(executions: StoredExecution[], timeoutMs = 10_000): Promise<void> {
    const runs = executions
      .filter((e) => !this.announced.has(e.executionArn))
      .map((e) => {
        this.announced.add(e.executionArn);
        return this.lambdas
          .invoke(FUNCTION_ARNS.executionEvents, executionStatusChangeEvent(e))
          .catch((err: unknown) =>
            logger.warn('Announcing an execution aborted by the stop failed; the reconciler will', {
              executionArn: e.executionArn,
              error: (err as Error)?.name,
            }),
          );
      });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled(runs), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }

  /**
   * Waits (at most 2 s) for asynchronous invocations still running, then (at most 5 s) for Lambda tasks
   * still running, so they finish before their DynamoDB goes away.
   */
  async settle(): Promise<void> {
    await this.invoker.settle(2000);
    const unfinished = await this.lambdas.drain(5000);
    if (unfinished > 0) logger.warn('Stopping with Lambda tasks still running', { unfinished });
  }
}
