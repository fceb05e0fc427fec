import { randomUUID } from 'node:crypto';
import { logger } from '../../lambdas/shared/logger';
import type { EventBridgeEvent } from '../aws/ecs';
import type { StoredExecution } from '../aws/sfn-model';
import type { LocalLambdas } from '../workflow/lambda';
import { FUNCTION_ARNS } from './functions';

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
 * The EventBridge rules of the stack, played locally: deployment events reach the rollout-events Lambda
 * (three attempts, as EventBridge retries a failing target), and executions that end without their own
 * "Report failure" (stopped, or interrupted by a sandbox stop) reach the execution-events Lambda.
 */
export class EventTargets {
  private readonly pending = new Set<Promise<void>>();
  private readonly announced = new Set<string>();
  private stopping = false;

  constructor(private readonly lambdas: LocalLambdas) {}

  /** Delivers an ECS or CodeDeploy deployment event to rollout-events. */
  deliverDeploymentEvent(event: EventBridgeEvent): void {
    this.track(
      (async () => {
        // EventBridge retries failed target invocations; three attempts with backoff is plenty locally.
        for (let attempt = 1; attempt <= 3; attempt++) {
          try {
            await this.lambdas.invoke(FUNCTION_ARNS.rolloutEvents, event);
            return;
          } catch (err) {
            logger.warn('Delivering a deployment event to rollout-events failed', {
              attempt,
              detailType: event['detail-type'],
              error: (err as Error).message.slice(0, 500),
            });
            await new Promise((r) => setTimeout(r, 200 * attempt));
          }
        }
      })(),
    );
  }

  /** Announces an execution that was ABORTED or TIMED_OUT, once, unless the sandbox is stopping. */
  executionChanged(e: StoredExecution): void {
    if (
      (e.status !== 'ABORTED' && e.status !== 'TIMED_OUT') ||
      this.announced.has(e.executionArn) ||
      this.stopping
    )
      return;
    this.announced.add(e.executionArn);
    this.track(
      this.lambdas
        .invoke(FUNCTION_ARNS.executionEvents, executionStatusChangeEvent(e))
        .then(() => undefined)
        .catch((err: unknown) =>
          logger.warn('Delivering an execution status change to execution-events failed', {
            executionArn: e.executionArn,
            error: (err as Error).message.slice(0, 500),
          }),
        ),
    );
  }

  /**
   * From now on executions are not announced: a stopping sandbox announces its interrupted executions at
   * its next start (recoverInterrupted), when its DynamoDB is there to record them.
   */
  stopAnnouncing(): void {
    this.stopping = true;
  }

  /**
   * Waits (at most 2 s) for deliveries still running, then (at most 5 s) for Lambda tasks still running, so
   * they finish before their DynamoDB goes away.
   */
  async settle(): Promise<void> {
    await Promise.race([Promise.all(this.pending), new Promise((r) => setTimeout(r, 2000))]);
    const unfinished = await this.lambdas.drain(5000);
    if (unfinished > 0) logger.warn('Stopping with Lambda tasks still running', { unfinished });
  }

  private track(p: Promise<void>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }
}
