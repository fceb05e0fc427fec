import { Duration, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/**
 * The events Shipgate's rules match, one rule each: what an environment in another account forwards to
 * Shipgate's bus (terraform/modules/shipgate-deploy-role) and what the bus policy admits from it.
 */
export const ROLLOUT_EVENT_PATTERNS = [
  { source: 'aws.ecs', detailType: 'ECS Deployment State Change' },
  // Developer guide, "Pause hooks for Amazon ECS service deployments": at a PAUSE hook ECS "emits an
  // EventBridge event with the detail-type ECS Hook State Change and the event name HOOK_AWAITING_ACTION".
  { source: 'aws.ecs', detailType: 'ECS Hook State Change' },
  { source: 'aws.codedeploy', detailType: 'CodeDeploy Deployment State-change Notification' },
] as const;

/** Properties of {@link RolloutEventRules}. */
export interface RolloutEventRulesProps {
  /** `lambdas/steps/rollout-events.ts`: resumes the waiting rollout. */
  readonly handler: IFunction;
}

/**
 * EventBridge rules that deliver ECS and CodeDeploy deployment state changes to `rollout-events`, which
 * resumes the matching "Start rollout"/"Await rollout" waiter. Undeliverable events go to a dead-letter
 * queue; a lost event is also covered by the workflow's bounded "Check rollout" fallback. The patterns have
 * no `account` filter on purpose: events an environment account forwards keep that account in `account` and
 * must match too (docs/architecture.md, "One AWS account per environment").
 */
export class RolloutEventRules extends Construct {
  /** Rule for `ECS Deployment State Change`. */
  readonly ecsRule: events.Rule;
  /** Rule for `ECS Hook State Change` (a PAUSE hook waits: HOOK_AWAITING_ACTION). */
  readonly ecsHookRule: events.Rule;
  /** Rule for `CodeDeploy Deployment State-change Notification`. */
  readonly codeDeployRule: events.Rule;
  /** Events that could not be delivered after retries. */
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: RolloutEventRulesProps) {
    super(scope, id);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the event rules.',
    });
    const target = new targets.LambdaFunction(props.handler, {
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: 8,
      maxEventAge: Duration.hours(1),
    });
    const [deployments, hooks, codeDeploy] = ROLLOUT_EVENT_PATTERNS.map((p) => ({
      source: [p.source],
      detailType: [p.detailType],
    }));
    this.ecsRule = new events.Rule(this, 'EcsDeployments', {
      description: 'ECS deployment state changes resume Shipgate rollouts',
      eventPattern: deployments,
      targets: [target],
    });
    this.ecsHookRule = new events.Rule(this, 'EcsHookStateChanges', {
      description: 'ECS PAUSE hooks waiting for a decision pause Shipgate rollouts',
      eventPattern: hooks,
      targets: [target],
    });
    this.codeDeployRule = new events.Rule(this, 'CodeDeployDeployments', {
      description: 'CodeDeploy deployment state changes resume Shipgate rollouts',
      eventPattern: codeDeploy,
      targets: [target],
    });
  }
}
