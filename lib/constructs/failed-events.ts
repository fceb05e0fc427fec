import { Duration, Validations } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** One asynchronously invoked function and how often Lambda retries a failed invocation. */
export interface AsyncFunction {
  /** The function (invoked by EventBridge, EventBridge Scheduler or `InvocationType: Event`). */
  readonly fn: IFunction;
  /**
   * Retries Lambda makes after a function error (0–2).
   * @default 2 (Lambda's default for asynchronous invocation)
   */
  readonly retryAttempts?: number;
}

/** Properties of {@link FailedEvents}. */
export interface FailedEventsProps {
  /** Every function Shipgate invokes asynchronously. */
  readonly functions: readonly AsyncFunction[];
}

/**
 * No lost events (issue 27). EventBridge and Lambda's `Event` invocations are asynchronous: a function error
 * gets Lambda's retries (two by default) and is then dropped ("Asynchronous invocation", Lambda developer
 * guide) — the rules' dead-letter queues only receive events that could not be *delivered*. So every such
 * function gets an on-failure destination: this queue receives the invocation record (request payload,
 * error, attempts) and `shipgate redrive` replays it.
 */
export class FailedEvents extends Construct {
  /** The on-failure destination of every asynchronously invoked function. */
  readonly queue: sqs.Queue;

  constructor(scope: Construct, id: string, props: FailedEventsProps) {
    super(scope, id);
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // SQS's longest retention, so a failure noticed after a holiday can still be replayed.
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself a dead-letter destination (Lambda on-failure); `shipgate redrive` drains it.',
    });
    const destination = new SqsDestination(this.queue);
    for (const { fn, retryAttempts } of props.functions) {
      fn.configureAsyncInvoke({ onFailure: destination, retryAttempts: retryAttempts ?? 2 });
    }
  }
}
