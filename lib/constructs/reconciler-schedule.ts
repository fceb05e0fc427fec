import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Properties of {@link ReconcilerSchedule}. */
export interface ReconcilerScheduleProps {
  /** The `reconcile` Lambda. */
  readonly handler: IFunction;
  /**
   * How often it runs.
   * @default Duration.minutes(5)
   */
  readonly every?: Duration;
  /** Where EventBridge Scheduler puts invocations it could not deliver. */
  readonly deadLetterQueue: IQueue;
}

/**
 * Runs the reconciler on a schedule with EventBridge Scheduler (the sandbox runs the same bundle on a timer).
 * Each run is idempotent, so an overlap or a retry repairs nothing twice.
 */
export class ReconcilerSchedule extends Construct {
  /** The schedule. */
  readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: ReconcilerScheduleProps) {
    super(scope, id);
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: 'Shipgate reconciler: repairs what a lost event left behind',
      schedule: scheduler.ScheduleExpression.rate(props.every ?? Duration.minutes(5)),
      target: new targets.LambdaInvoke(props.handler, {
        deadLetterQueue: props.deadLetterQueue,
        retryAttempts: 2,
        maxEventAge: Duration.minutes(10),
      }),
    });
  }
}
