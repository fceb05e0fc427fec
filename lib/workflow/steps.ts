import type { ShipgateConfig } from '../../lambdas/shared/config';
import type { SecretName } from '../../lambdas/shared/secrets';

/** Names of the Lambda functions the release workflow and its event rules invoke. */
export type StepName =
  | 'resolve-release'
  | 'scan'
  | 'check-freeze'
  | 'request-approval'
  | 'start-rollout'
  | 'await-rollout'
  | 'check-rollout'
  | 'request-pause'
  | 'rollout-events'
  | 'verify'
  | 'rollback'
  | 'check-rollback'
  | 'verify-hook'
  | 'record-release'
  | 'report-failure'
  | 'manual-rollback'
  | 'execution-events'
  | 'reconcile'
  | 'follow-up'
  | 'alarm-chat';

/** A Step Functions task-token answer (`states:<name>`). */
export type TaskResponse = 'SendTaskSuccess' | 'SendTaskFailure' | 'SendTaskHeartbeat';

/** What the CDK app needs to know about one step Lambda. */
export interface StepSpec {
  /** Handler file, relative to the repository root (it exports `handler`). */
  readonly entry: string;
  /** Shown in the Lambda console. */
  readonly description: string;
  /**
   * Lambda timeout in seconds for this configuration (at most 900). At most 60 s, except the steps of
   * {@link LONG_STEPS}: no Lambda waits for ECS (a test checks the synthesized template).
   */
  readonly timeoutSeconds: (config: ShipgateConfig) => number;
  /**
   * Secrets the step reads (each passed as `<ENV>_SECRET_ARN` and granted read). A test checks this list
   * against the `getSecret('<name>')` calls in the handler's bundle, both ways.
   */
  readonly secrets: readonly SecretName[];
  /**
   * Task-token answers the step sends (granted on the release state machine, nothing more: a token decides
   * a waiting step for whoever may answer it). A test checks this against the `SendTask*` calls in the
   * handler's bundle. @default none
   */
  readonly taskResponses?: readonly TaskResponse[];
  /** Memory in MB. @default 512 */
  readonly memorySize?: number;
}

/** Memory of the HTTP function in MB (the stack's `HttpFunction`). */
export const HTTP_MEMORY_MB = 1024;
/** Memory of a step function without its own `memorySize` (ShipgateFunction's default). */
export const DEFAULT_STEP_MEMORY_MB = 512;

const LAMBDA_MAX_SECONDS = 900;
const capped = (seconds: number): number => Math.min(LAMBDA_MAX_SECONDS, Math.max(10, Math.ceil(seconds)));

/** Timeout of one Verify run: every attempt's request plus the pauses between them, plus slack. */
export function verifyTimeoutSeconds(config: ShipgateConfig): number {
  const { attempts, interval, requestTimeout } = config.verify;
  return capped(attempts * (requestTimeout + interval) + 30);
}

/**
 * Every step Lambda, keyed by its name. The handler files are written against the payload contracts in
 * docs/architecture.md; the stack creates one function per entry and the local renderer maps each one to a
 * stable ARN (`arn:aws:lambda:us-east-1:000000000000:function:shipgate-<step>`).
 */
export const STEPS: Readonly<Record<StepName, StepSpec>> = {
  'resolve-release': {
    entry: 'lambdas/steps/resolve-release.ts',
    description: 'Resolves image digests from ECR and reads the deploy contracts from SSM',
    timeoutSeconds: () => 60,
    secrets: [],
  },
  scan: {
    entry: 'lambdas/steps/scan.ts',
    description: 'Applies the scan gate to the release images',
    timeoutSeconds: (config) => capped(config.scan.waitFor + 60),
    secrets: ['gitlabToken'],
  },
  'check-freeze': {
    entry: 'lambdas/steps/check-freeze.ts',
    description: 'Tells whether an environment is in a deploy freeze and until when',
    timeoutSeconds: () => 30,
    secrets: ['gitlabToken', 'chatWebhookUrl', 'slackBotToken'],
  },
  'request-approval': {
    entry: 'lambdas/steps/request-approval.ts',
    description: 'Opens an approval request and posts it to chat (waitForTaskToken)',
    timeoutSeconds: () => 60,
    secrets: ['chatWebhookUrl', 'slackSigningSecret', 'gitlabToken', 'slackBotToken'],
    taskResponses: ['SendTaskFailure'],
  },
  'start-rollout': {
    entry: 'lambdas/steps/start-rollout.ts',
    description: 'Registers the pinned task definition and starts the ECS or CodeDeploy rollout',
    timeoutSeconds: () => 60,
    secrets: ['gitlabToken', 'chatWebhookUrl', 'slackBotToken'],
    taskResponses: ['SendTaskSuccess', 'SendTaskFailure'],
  },
  'await-rollout': {
    entry: 'lambdas/steps/await-rollout.ts',
    description: 'Re-registers the waiter of an in-flight rollout',
    timeoutSeconds: () => 60,
    secrets: ['chatWebhookUrl', 'gitlabToken', 'slackBotToken'],
    taskResponses: ['SendTaskSuccess', 'SendTaskFailure'],
  },
  'check-rollout': {
    entry: 'lambdas/steps/check-rollout.ts',
    description: 'Checks an in-flight rollout once when no deployment event arrived in time',
    timeoutSeconds: () => 60,
    secrets: ['chatWebhookUrl', 'gitlabToken', 'slackBotToken'],
    taskResponses: ['SendTaskSuccess', 'SendTaskFailure'],
  },
  'request-pause': {
    entry: 'lambdas/steps/request-pause.ts',
    description:
      'A rollout stopped at an ECS PAUSE hook: opens the pause decision and posts it to chat (waitForTaskToken)',
    timeoutSeconds: () => 60,
    secrets: ['chatWebhookUrl', 'slackSigningSecret', 'gitlabToken', 'slackBotToken'],
    taskResponses: ['SendTaskSuccess', 'SendTaskFailure'],
  },
  'rollout-events': {
    entry: 'lambdas/steps/rollout-events.ts',
    description: 'Resumes waiting rollouts from ECS and CodeDeploy deployment events',
    timeoutSeconds: () => 60,
    secrets: ['chatWebhookUrl', 'gitlabToken', 'slackBotToken'],
    taskResponses: ['SendTaskSuccess', 'SendTaskFailure'],
  },
  verify: {
    entry: 'lambdas/steps/verify.ts',
    description: 'Runs the HTTP smoke checks of the deploy contracts',
    timeoutSeconds: verifyTimeoutSeconds,
    secrets: ['gitlabToken', 'chatWebhookUrl', 'slackBotToken'],
  },
  rollback: {
    entry: 'lambdas/steps/rollback.ts',
    description: 'Starts rolling a service back (or re-parks the waiter of a rollback in flight)',
    timeoutSeconds: () => 60,
    secrets: [],
    taskResponses: ['SendTaskSuccess', 'SendTaskFailure'],
  },
  'check-rollback': {
    entry: 'lambdas/steps/check-rollback.ts',
    description: 'Checks a rollback once when no deployment event arrived in time',
    timeoutSeconds: () => 60,
    secrets: [],
    taskResponses: ['SendTaskSuccess', 'SendTaskFailure'],
  },
  'verify-hook': {
    entry: 'lambdas/steps/verify-hook.ts',
    description: 'ECS lifecycle hook (POST_TEST_TRAFFIC_SHIFT): smoke check on the test listener',
    timeoutSeconds: verifyTimeoutSeconds,
    secrets: [],
  },
  'record-release': {
    entry: 'lambdas/steps/record-release.ts',
    description: 'Records a successful release and its ledger entries',
    timeoutSeconds: () => 60,
    // GitLab: the commits new to each environment (compare API) for the ledger.
    secrets: ['gitlabToken'],
  },
  'report-failure': {
    entry: 'lambdas/steps/report-failure.ts',
    description: 'Records a failed release with its error and cause, closes a timed-out approval',
    timeoutSeconds: () => 60,
    secrets: ['chatWebhookUrl', 'gitlabToken', 'slackBotToken'],
    taskResponses: ['SendTaskFailure'],
  },
  'manual-rollback': {
    entry: 'lambdas/steps/manual-rollback.ts',
    description:
      'Manual rollback (rollback state machine): starts it or looks once; the ending event records it, tells chat and GitLab',
    timeoutSeconds: () => 60,
    secrets: ['chatWebhookUrl', 'gitlabToken', 'slackBotToken'],
    taskResponses: ['SendTaskSuccess'],
  },
  'execution-events': {
    entry: 'lambdas/steps/execution-events.ts',
    description:
      'Release executions stopped or timed out (EventBridge): records them aborted, ends their approvals, takes over their rollouts, tells chat',
    timeoutSeconds: () => 60,
    secrets: ['chatWebhookUrl', 'gitlabToken', 'slackBotToken'],
    // A rollback it finds ended resumes its (dead) waiter, as rollout-events would.
    taskResponses: ['SendTaskSuccess', 'SendTaskFailure'],
  },
  reconcile: {
    entry: 'lambdas/steps/reconcile.ts',
    description:
      'Reconciler (EventBridge Scheduler): repairs locks, rollouts, approvals, pauses and ledger entries a lost event left behind',
    timeoutSeconds: () => 300,
    secrets: ['chatWebhookUrl', 'gitlabToken', 'slackBotToken'],
    taskResponses: ['SendTaskSuccess', 'SendTaskFailure'],
  },
  'follow-up': {
    entry: 'lambdas/steps/follow-up.ts',
    description:
      'Follow-ups of approval votes and pause decisions (invoked asynchronously by the HTTP function): chat, the release record, GitLab',
    timeoutSeconds: () => 60,
    secrets: ['chatWebhookUrl', 'gitlabToken', 'slackBotToken'],
  },
  'alarm-chat': {
    entry: 'lambdas/steps/alarm-chat.ts',
    description:
      'Subscribed to the alarm topic (SNS): tells chat, as "Shipgate itself", when one of Shipgate\'s own alarms changes state',
    timeoutSeconds: () => 30,
    secrets: ['chatWebhookUrl', 'slackBotToken'],
  },
};

/**
 * The steps whose timeout may exceed 60 s, and why. None of them waits for ECS: rollouts and rollbacks
 * wait in Step Functions with task tokens.
 */
export const LONG_STEPS: Readonly<Partial<Record<StepName, string>>> = {
  scan: 'waits up to scan.waitFor for the registry to finish scanning the release images',
  verify: 'runs verify.attempts HTTP smoke checks, each up to verify.requestTimeout, verify.interval apart',
  'verify-hook':
    'ECS invokes it once per deployment; it runs the same smoke checks as verify on the test listener',
  reconcile:
    'one sweep compares up to 100 recent releases, their locks, rollouts, approvals and pauses with Step Functions and ECS; it waits for nothing',
};

/** Step names in a stable order. */
export const STEP_NAMES = Object.keys(STEPS) as StepName[];

/**
 * The steps the stack creates one function each for. The verify hook is not among them: ECS invokes it from
 * inside each environment's VPC, so the stack creates one per environment (`SmokeCheckHook`).
 */
export type SharedStepName = Exclude<StepName, 'verify-hook'>;

/** {@link SharedStepName}s in a stable order. */
export const SHARED_STEP_NAMES = STEP_NAMES.filter((s): s is SharedStepName => s !== 'verify-hook');
