import { Duration, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Properties of {@link ExecutionEventRule}. */
export interface ExecutionEventRuleProps {
  /** ARN of the release state machine. */
  readonly stateMachineArn: string;
  /** The `execution-events` Lambda. */
  readonly handler: IFunction;
}

/**
 * Executions of the release state machine that end without their own "Report failure" (stopped by an
 * operator, or timed out as a whole) reach the `execution-events` Lambda through an EventBridge rule on
 * "Step Functions Execution Status Change" (https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html),
 * so the release record and chat say so.
 */
export class ExecutionEventRule extends Construct {
  /** The rule. */
  readonly rule: events.Rule;
  /** Events that could not be delivered after retries. */
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: ExecutionEventRuleProps) {
    super(scope, id);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the event rule.',
    });
    this.rule = new events.Rule(this, 'Stopped', {
      description: 'Release executions that were stopped or timed out: record and announce them',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { stateMachineArn: [props.stateMachineArn], status: ['ABORTED', 'TIMED_OUT'] },
      },
      targets: [
        new targets.LambdaFunction(props.handler, {
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts: 8,
          maxEventAge: Duration.hours(1),
        }),
      ],
    });
  }
}
