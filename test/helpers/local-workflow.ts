import { StateMachine } from 'aws-local-stepfunctions';
import { parseConfig, type ShipgateConfig } from '../../lambdas/shared/config';
import type { ReleaseInput } from '../../lambdas/shared/release';
import {
  renderLocalDefinition,
  WAIT_FOR_TASK_TOKEN_RESOURCE,
  type AslDefinition,
} from '../../lib/workflow/render';

/**
 * Local execution of the real, synthesized release state machine with aws-local-stepfunctions. Task states
 * are served by in-process handlers keyed by state name, standing in for the Lambdas; waitForTaskToken
 * states receive a fresh fake task token in their payload (from the context object's `Task.Token`).
 */

/** A stand-in for the Lambda behind a Task state: receives the payload, returns the result or throws. */
export type StateHandler = (payload: Record<string, unknown>) => unknown;

/** What a local run did. */
export interface LocalRun {
  status: 'SUCCEEDED' | 'FAILED';
  /** Output of a successful execution. */
  output?: Record<string, unknown>;
  /** Error and cause of a failed execution (as the Fail state set them). */
  error?: string;
  cause?: string;
  /** Every state entered, in order, including the states inside Map iterations. */
  entered: string[];
  /** State transitions (= states entered), the unit AWS bills Standard workflows by. */
  transitions: number;
  /** Payloads each Task handler received, by state name. */
  payloads: Record<string, Record<string, unknown>[]>;
}

/** An Error with a Step Functions error name, as a Lambda would raise it. */
export function stepError(name: string, message: string): Error {
  const err = new Error(message);
  err.name = name;
  return err;
}

/** A handler that never answers: the state's TimeoutSeconds decides (States.Timeout). */
export const neverAnswers: StateHandler = () => new Promise(() => undefined);

const SHA = 'c0ffee0000000000000000000000000000000042';

/** A valid config with two environments and three services; durations overridable for timeout tests. */
export function testConfig(
  overrides: { approvalTimeout?: string; eventGrace?: string } = {},
): ShipgateConfig {
  return parseConfig({
    version: 1,
    projects: [{ path: 'acme/shop', services: ['web', 'orders', 'billing'] }],
    services: {
      web: { repository: 'acme/web' },
      orders: { repository: 'acme/orders' },
      billing: { repository: 'acme/billing' },
    },
    approvers: { ann: { name: 'Ann' }, ben: { name: 'Ben' } },
    environments: [
      {
        name: 'staging',
        approval: { approvers: ['ann', 'ben'], timeout: overrides.approvalTimeout ?? '1h' },
      },
      {
        name: 'production',
        approval: { approvers: ['ann', 'ben'], quorum: 2, timeout: overrides.approvalTimeout ?? '2h' },
      },
    ],
    rollout: { eventGrace: overrides.eventGrace ?? '5m', timeout: '30m', maxConcurrency: 2 },
  });
}

/** A release of the three services of {@link testConfig} through both environments. */
export function testRelease(): ReleaseInput {
  return {
    release: {
      id: 'acme-shop-p101-c0ffee00',
      project: { id: 7, path: 'acme/shop' },
      commit: { sha: SHA, title: 'Ship the thing' },
      ref: 'main',
      tag: false,
      pipeline: { id: 101 },
      triggeredBy: { username: 'sam' },
      services: ['web', 'orders', 'billing'],
      environments: ['staging', 'production'],
      deliveryId: 'gitlab:7:pipeline:101:success',
      createdAt: '2026-01-02T03:04:05.000Z',
    },
  };
}

/** The resolved images "Resolve release" would return for {@link testRelease}. */
export function testImages(release: ReleaseInput = testRelease()) {
  return release.release.services.map((service, i) => ({
    service,
    repository: `acme/${service}`,
    digest: `sha256:${String(i + 1).repeat(64)}`,
    imageUri: `000000000000.dkr.ecr.us-east-1.amazonaws.com/acme/${service}@sha256:${String(i + 1).repeat(64)}`,
  }));
}

/**
 * Handlers for a release where everything succeeds: images resolve, the scan passes, approvals arrive,
 * no freeze, every rollout completes on its first event, smoke checks pass. Tests override single states.
 */
export function happyHandlers(config: ShipgateConfig, input: ReleaseInput = testRelease()) {
  const handlers: Record<string, StateHandler> = {
    'Resolve release': () => ({ images: testImages(input) }),
    Scan: () => ({ passed: true, text: 'Scan passed: 0 findings', counts: {}, top: [], allowlisted: [] }),
    'Record release': () => ({ recordedAt: '2026-01-02T04:00:00.000Z' }),
    'Report failure': () => ({ reportedAt: '2026-01-02T04:00:00.000Z' }),
  };
  for (const env of config.environments.map((e) => e.name)) {
    handlers[`Approve ${env}`] = () => ({
      approvalId: `appr-${env}`,
      approvedBy: ['ann'],
      decidedAt: '2026-01-02T03:30:00.000Z',
    });
    handlers[`Check freeze ${env}`] = () => ({ frozen: false });
    handlers[`Start rollout ${env}`] = (p) => rolloutOutcome(env, p);
    handlers[`Await rollout ${env}`] = (p) => rolloutOutcome(env, p);
    handlers[`Check rollout ${env}`] = (p) => ({ settled: true, outcome: rolloutOutcome(env, p) });
    handlers[`Verify ${env}`] = () => ({ passed: true, checks: [{ service: 'web', status: 200 }] });
    handlers[`Start rollback ${env}`] = (p) => ({
      service: (p.image as { service: string }).service,
      untouched: {
        service: (p.image as { service: string }).service,
        reason: 'never rolled out by Shipgate',
      },
    });
  }
  return handlers;
}

/** A `RolloutOutcome` for the image in a Start/Await/Check rollout payload. */
export function rolloutOutcome(environment: string, payload: Record<string, unknown>) {
  const image = payload.image as { service: string };
  return {
    service: image.service,
    environment,
    status: 'COMPLETED',
    strategy: 'ROLLING',
    taskDefinitionArn: `arn:aws:ecs:us-east-1:000000000000:task-definition/${image.service}:2`,
    previousTaskDefinitionArn: `arn:aws:ecs:us-east-1:000000000000:task-definition/${image.service}:1`,
    deploymentId: `ecs-svc/${image.service}`,
    startedAt: '2026-01-02T03:31:00.000Z',
    finishedAt: '2026-01-02T03:35:00.000Z',
  };
}

const renderCache = new Map<ShipgateConfig, AslDefinition>();

/** The rendered definition of `config` (rendered once per config object). */
export function definitionFor(config: ShipgateConfig): AslDefinition {
  let definition = renderCache.get(config);
  if (!definition) {
    definition = renderLocalDefinition(config).definition;
    renderCache.set(config, definition);
  }
  return definition;
}

/**
 * aws-local-stepfunctions 3 declares Node >= 22 and uses `Promise.withResolvers` (Node 22+); the project
 * supports Node 20, so provide it when missing.
 */
export function ensurePromiseWithResolvers(): void {
  const P = Promise as unknown as { withResolvers?: () => unknown };
  if (typeof P.withResolvers === 'function') return;
  P.withResolvers = () => {
    let resolve!: (value: unknown) => void;
    let reject!: (reason?: unknown) => void;
    const promise = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
ensurePromiseWithResolvers();

let tokenCounter = 0;

/** Options of {@link runLocalWorkflow}. */
export interface LocalRunOptions {
  /**
   * Milliseconds to pause before each retry of a state, by state name, instead of its `Retry` schedule
   * (aws-local-stepfunctions `retryIntervalOverrides`): keeps tests of retried states fast.
   */
  retryIntervalOverrides?: Record<string, number | number[]>;
}

/**
 * Runs the definition locally with `handlers` standing in for the Lambdas (keyed by state name; a Task
 * state without a handler fails the test run loudly) and reports what happened.
 */
export async function runLocalWorkflow(
  definition: AslDefinition,
  input: ReleaseInput,
  handlers: Record<string, StateHandler>,
  options: LocalRunOptions = {},
): Promise<LocalRun> {
  const payloads: Record<string, Record<string, unknown>[]> = {};
  const taskResourceLocalHandlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const [name, state] of Object.entries(taskStates(definition))) {
    const waitForTaskToken = state.Resource === WAIT_FOR_TASK_TOKEN_RESOURCE;
    taskResourceLocalHandlers[name] = async (stateInput) => {
      // A waitForTaskToken Lambda receives only Parameters.Payload; the state's result is what the test
      // handler "sends" back (SendTaskSuccess), or its error (SendTaskFailure).
      const payload = (
        waitForTaskToken ? (stateInput as { Payload: unknown }).Payload : stateInput
      ) as Record<string, unknown>;
      (payloads[name] ??= []).push(payload);
      const handler = handlers[name];
      if (!handler) throw stepError('TestMissingHandler', `no local handler for state "${name}"`);
      return handler(payload);
    };
  }
  const machine = new StateMachine(definition as never, {
    validationOptions: { checkArn: true, checkPaths: true },
  });
  const context = {
    Execution: {
      Id: `arn:aws:states:us-east-1:000000000000:execution:shipgate-release:${input.release.id}`,
      Name: input.release.id,
      Input: input,
      StartTime: '2026-01-02T03:05:00.000Z',
    },
    get Task() {
      tokenCounter += 1;
      return { Token: `fake-task-token-${tokenCounter}` };
    },
  };
  const execution = machine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: taskResourceLocalHandlers as never,
      retryIntervalOverrides: options.retryIntervalOverrides,
    },
    context: context as never,
  });
  const entered: string[] = [];
  const collect = (async () => {
    for await (const event of execution.eventLogs) {
      if (event.type === 'StateEntered') entered.push((event as { state: { name: string } }).state.name);
    }
  })();
  let run: LocalRun;
  try {
    const output = (await execution.result) as Record<string, unknown>;
    run = { status: 'SUCCEEDED', output, entered, transitions: 0, payloads };
  } catch (err) {
    const e = err as Error & { cause?: unknown };
    const failure = (e.cause ?? e) as Error;
    run = {
      status: 'FAILED',
      error: failure.name,
      cause: failure.message,
      entered,
      transitions: 0,
      payloads,
    };
  }
  await collect;
  run.transitions = entered.length;
  return run;
}

/** Every Task state by name, including those inside Map item processors. */
export function taskStates(definition: AslDefinition): Record<string, Record<string, unknown>> {
  const found: Record<string, Record<string, unknown>> = {};
  const walk = (states: Record<string, Record<string, unknown>>) => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Task') found[name] = state;
      const processor = (state.ItemProcessor ?? state.Iterator) as
        { States: Record<string, Record<string, unknown>> } | undefined;
      if (processor) walk(processor.States);
    }
  };
  walk(definition.States);
  return found;
}
