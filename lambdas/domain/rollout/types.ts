import * as z from '../../shared/zod';
import type { DeploymentStrategy } from '../../shared/config';
import { releaseSchema } from '../../shared/release';

/**
 * Types of the rollout steps ("Deploy <env>", "Roll back <env>") and of the items they keep in the table.
 * The names here are the contract with the state machine (docs/architecture.md).
 */

/** `sha256:` followed by 64 lower-case hex digits. */
export const DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/;

/** One service's image as resolved by "Resolve release" (`$.resolved.images[]`). */
export const resolvedImageSchema = z.object({
  service: z.string().check(z.minLength(1)),
  repository: z.string().check(z.minLength(1)),
  digest: z.string(),
  imageUri: z.string().check(z.minLength(1)),
});

/** Payload of `start-rollout` and `await-rollout` (`waitForTaskToken`). */
export const rolloutTaskInputSchema = z.object({
  taskToken: z.string().check(z.minLength(1)),
  executionArn: z.string().check(z.minLength(1)),
  environment: z.string().check(z.minLength(1)),
  release: releaseSchema,
  image: resolvedImageSchema,
});
/** Payload of `start-rollout` / `await-rollout`. */
export type RolloutTaskInput = z.infer<typeof rolloutTaskInputSchema>;

/** Payload of `check-rollout`. */
export const checkRolloutInputSchema = z.object({
  environment: z.string().check(z.minLength(1)),
  release: releaseSchema,
  image: resolvedImageSchema,
});
/** Payload of `check-rollout`. */
export type CheckRolloutInput = z.infer<typeof checkRolloutInputSchema>;

/** Payload of `verify` and `rollback`: every image of the release in one environment. */
export const environmentImagesInputSchema = z.object({
  environment: z.string().check(z.minLength(1)),
  release: releaseSchema,
  images: z.array(resolvedImageSchema).check(z.minLength(1)),
  /** Set by the `Catch` that routed here (`rollback` only). */
  error: z.nullish(z.partial(z.object({ Error: z.optional(z.string()), Cause: z.optional(z.string()) }))),
});
/** Payload of `verify` / `rollback`. */
export type EnvironmentImagesInput = z.infer<typeof environmentImagesInputSchema>;

/** The task output of a successful rollout (one element of `$.deployments.<env>`). */
export interface RolloutOutcome {
  service: string;
  environment: string;
  status: 'COMPLETED';
  strategy: DeploymentStrategy;
  /** The revision now serving, pinned to `digest`. */
  taskDefinitionArn: string;
  /** The revision that served before; what a rollback returns to. */
  previousTaskDefinitionArn: string;
  /** ECS deployment id (`ecs-svc/…`) or CodeDeploy deployment id (`d-…`). */
  deploymentId: string;
  digest: string;
  startedAt: string;
  finishedAt: string;
}

/** Result of `check-rollout`. */
export type CheckRolloutResult =
  { settled: true; outcome: RolloutOutcome } | { settled: false; elapsedSeconds: number };

/** What one look at ECS or CodeDeploy says about a rollout. */
export type Observation =
  | { state: 'IN_PROGRESS'; detail: string }
  | { state: 'COMPLETED'; detail: string }
  | {
      state: 'FAILED';
      /** Why it failed, as ECS / CodeDeploy reports it. */
      reason: string;
      /** The task definition the service went back to, when it did. */
      rolledBackTo?: string;
      /** Step Functions error name when it is not `RolloutFailed` (e.g. `VerifyFailed` from the test-traffic hook). */
      error?: string;
    };

/** A rollback Shipgate runs ("Roll back <env>") on a rollout record, waited for with a task token. */
export interface RollbackState {
  status: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  /** Task token of "Start/Await rollback <env>". Never logged, never returned. */
  taskToken?: string;
  executionArn: string;
  /** Task definition that was serving (this release's) and the one the rollback goes to. */
  from: string;
  to: string;
  by: RolledBackService['by'];
  /** ECS deployment (`ecs-svc/…`) or CodeDeploy deployment the rollback waits on, when there is one. */
  deploymentId?: string;
  /** Service deployment (blue/green family) the rollback waits on: our stopped one, or a new one. */
  serviceDeploymentArn?: string;
  startedAt: string;
  finishedAt?: string;
  failure?: { error: string; cause: string };
}

/** Payload of `rollback` ("Start rollback <env>" / "Await rollback <env>", `waitForTaskToken`). */
export const rollbackTaskInputSchema = z.extend(rolloutTaskInputSchema, {
  error: z.nullish(z.partial(z.object({ Error: z.optional(z.string()), Cause: z.optional(z.string()) }))),
});
/** Payload of `rollback`. */
export type RollbackTaskInput = z.infer<typeof rollbackTaskInputSchema>;

/** Result of one service's rollback (one element of `$.rollback`). */
export type ServiceRollbackResult =
  | { service: string; rolledBack: RolledBackService }
  | { service: string; untouched: { service: string; reason: string } };

/** Result of `check-rollback`. */
export type CheckRollbackResult =
  { settled: true; result: ServiceRollbackResult } | { settled: false; elapsedSeconds: number };

/** A PAUSE hook the rollout stopped at, as the rollout record keeps it. */
export interface RolloutPause {
  hookId: string;
  stage: string;
  /** ISO 8601: when ECS takes the timeout action. */
  expiresAt?: string;
  timeoutAction?: 'ROLLBACK' | 'CONTINUE';
  /** When Shipgate first saw it. */
  seenAt: string;
  /** The pause decision item, once "<env> paused" opened it. */
  pauseId?: string;
  /** What people decided (set just before Shipgate calls ContinueServiceDeployment). */
  decision?: { action: 'CONTINUE' | 'ROLLBACK'; by: string[]; reason?: string; at: string };
}

/** What a rollout task resumes with when ECS paused the deployment at a PAUSE hook. */
export interface RolloutPausedOutput {
  status: 'PAUSED';
  service: string;
  environment: string;
  hookId: string;
  stage: string;
  expiresAt?: string;
}

/** Lifecycle of a rollout record. */
export type RolloutStatus = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED' | 'ROLLED_BACK';

/**
 * The rollout record ("waiter"): one item per ECS service, `ROLLOUT#<cluster>#<service>` / `ROLLOUT`.
 * It is the only place a rollout's task token lives; `rollout-events` finds it from the ECS service ARN
 * (or, for CodeDeploy, through the `ROLLOUTGROUP#<application>#<group>` alias) and matches the
 * deployment id.
 */
export interface RolloutRecord {
  pk: string;
  sk: 'ROLLOUT';
  /** Random id of this rollout attempt; every conditional write names it, so a stale writer never wins. */
  attempt: string;
  status: RolloutStatus;
  /** Step Functions task token of whoever waits now. Never logged, never returned. */
  taskToken?: string;
  releaseId: string;
  releaseCreatedAt: string;
  executionArn: string;
  environment: string;
  /** Config name of the service. */
  service: string;
  /** ECS cluster and service names (not ARNs). */
  clusterName: string;
  serviceName: string;
  strategy: DeploymentStrategy;
  digest: string;
  imageUri: string;
  taskDefinitionArn: string;
  previousTaskDefinitionArn: string;
  /** Set once the deployment started. */
  deploymentId?: string;
  /** Blue/green family: the ECS service deployment of this rollout. */
  serviceDeploymentArn?: string;
  /**
   * Set by the test-traffic verify hook when its smoke check failed and it answered FAILED: the hook's own
   * record of why ECS rolls back, which makes the rollout `VerifyFailed` (never the text of ECS's reason).
   */
  verifyFailure?: string;
  /** The service deployment the verify hook failed on (the hook event's `resourceArn`). */
  verifyFailureDeployment?: string;
  /** Stages of the configured pauses (to name a pause found without its event). */
  pauseStages?: string[];
  /** Smoke checks the verify hook ran on this attempt (shown in pause messages). */
  smokeChecks?: { stage: string; passed: boolean; detail: string; attempts: number; at: string }[];
  /** Longest the configured pauses may hold this rollout (seconds), added to `rollout.timeout`. */
  pauseSeconds?: number;
  /** The ECS PAUSE hook this rollout is stopped at (or was, last), and what became of it. */
  pause?: RolloutPause;
  /** "Roll back <env>" of this attempt, once started. */
  rollback?: RollbackState;
  codeDeployApplication?: string;
  codeDeployGroup?: string;
  startedAt: string;
  finishedAt?: string;
  /** Final outcome (COMPLETED). */
  outcome?: RolloutOutcome;
  /** Final failure (FAILED): Step Functions error name and cause; the revision ECS went back to, if it did. */
  failure?: { error: string; cause: string; rolledBackTo?: string };
  ttl?: number;
}

/** One release of a service into an environment, as kept in the `DEPLOYED#<env>#<service>` history. */
export interface DeployedEntry {
  releaseId: string;
  /** `createdAt` of the release (orders releases for superseding). */
  createdAt: string;
  digest: string;
  imageUri: string;
  taskDefinitionArn: string;
  deployedAt: string;
  /** Set by "Verify <env>" when the smoke checks passed. */
  verifiedAt?: string;
  /** Set when this entry became current through `shipgate rollback`. */
  restoredBy?: string;
}

/** `DEPLOYED#<env>#<service>` / `CURRENT`: what runs there now (`history[0]`) and what ran before. */
export interface DeployedItem {
  pk: string;
  sk: 'CURRENT';
  environment: string;
  service: string;
  /** Newest first; `history[0]` is current. */
  history: DeployedEntry[];
  updatedAt: string;
  /** Optimistic-concurrency counter, incremented by every write. */
  version: number;
}

/** One service put back by "Roll back <env>". */
export interface RolledBackService {
  service: string;
  /** Task definition that was serving (this release's). */
  from: string;
  /** Task definition serving now (the previous one). */
  to: string;
  /** `ecs-circuit-breaker`: ECS had already rolled it back; `shipgate`: Shipgate rolled it back. */
  by: 'ecs-circuit-breaker' | 'codedeploy' | 'shipgate';
  /** When "Roll back <env>" started on this service (≈ failure detected) and when it was back (ISO 8601). */
  startedAt?: string;
  finishedAt?: string;
}

/** Result of `rollback`. */
export interface RollbackResult {
  rolledBack: RolledBackService[];
  /** Services of the release left alone, and why (not changed by this release, another release owns it…). */
  untouched: { service: string; reason: string }[];
}

/** What `rollout-events` did with an event (its return value, also logged). */
export type EventHandling =
  | { action: 'ignored'; reason: string }
  | {
      action: 'settled';
      service: string;
      environment: string;
      releaseId: string;
      status: 'COMPLETED' | 'FAILED';
      /** Set when the release's execution had ended and the outcome was recorded from ECS (issue 27). */
      afterRelease?: 'deployed' | 'rolled-back' | 'failed';
    }
  | {
      action: 'paused';
      service: string;
      environment: string;
      releaseId: string;
      hookId: string;
      stage: string;
      /** Whether a waiting task was resumed (otherwise the next waiter picks the pause up from the record). */
      resumed: boolean;
    };
