import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { createRelease, updateRelease } from '../../../lambdas/domain/releases/store';
import { describeRelease, type ReleaseView } from '../../../lambdas/domain/releases/status';
import type { ReleaseInput } from '../../../lambdas/shared/release';
import { localFunctionArn } from '../../../lib/workflow/render';
import { ExecutionStore } from '../../../sandbox/aws/execution-store';
import { SfnEmulator, type HistoryEvent } from '../../../sandbox/aws/sfn';
import type { LocalLambdas } from '../../../sandbox/workflow/lambda';
import {
  definitionFor,
  ensurePromiseWithResolvers,
  rolloutOutcome,
  testConfig,
  testImages,
  testRelease,
} from '../../helpers/local-workflow';
import { installMemoryTable } from './memory-table';

/**
 * The release record (`GET /api/releases/:id`) against the execution itself: one execution of the real
 * release state machine, run by the sandbox's Step Functions emulator, walked through every state; at each
 * step the record must say what the execution says. The stored item is left as the webhook created it
 * (RUNNING, no environments), so everything shown comes from the execution's own events.
 */

ensurePromiseWithResolvers();
const config = testConfig();
const definition = definitionFor(config);
const ddbMock = mockClient(DynamoDBDocumentClient);
const TABLE = 'record-vs-execution';
const env = { SHIPGATE_PUBLIC_URL: 'https://shipgate.example.test' };

type Handler = (payload: Record<string, unknown>) => unknown;

let dir: string;
let emulator: SfnEmulator;
let handlers: Record<string, Handler>;
/** Task tokens handed to waitForTaskToken tasks, by state name. */
let tokens: Record<string, string[]>;
let machineArn: string;

// Task states invoke function versions (`…:function:shipgate-<step>:<version>`).
const stepOf = (arn: string) =>
  arn.slice(arn.lastIndexOf(':shipgate-') + ':shipgate-'.length).replace(/:[^:]+$/, '');

/** Step Functions as the releases API calls it, answered by the emulator. */
const sfn = {
  send: async (command: object) => {
    const op = command.constructor.name.replace(/Command$/, '') as keyof SfnEmulator['operations'];
    return (emulator.operations[op] as (i: unknown) => unknown)((command as { input: unknown }).input);
  },
};

beforeEach(() => {
  installMemoryTable(ddbMock);
  dir = mkdtempSync(join(tmpdir(), 'shipgate-record-'));
  emulator = new SfnEmulator(new ExecutionStore(dir), async () => ({}));
  tokens = {};
  handlers = {
    'resolve-release': () => ({ images: testImages() }),
    scan: () => ({ passed: true, text: 'Scan passed', counts: {}, top: [], allowlisted: [] }),
    'check-freeze': () => ({ frozen: false }),
    verify: () => ({ passed: true, checks: [] }),
    rollback: () => ({ rolledBack: [{ service: 'web' }], untouched: [] }),
    'record-release': () => ({ recordedAt: new Date().toISOString() }),
    'report-failure': () => ({ reportedAt: new Date().toISOString() }),
  };
  const lambdas = {
    invoke: async (arn: string, payload: Record<string, unknown>) => {
      const step = stepOf(arn);
      if (step === 'rollback' && typeof payload.taskToken === 'string') {
        // "Start rollback <env>" (waitForTaskToken): the service is back on its previous revision.
        const service = (payload.image as { service: string }).service;
        const taskToken = payload.taskToken;
        setImmediate(() =>
          emulator.operations.SendTaskSuccess({
            taskToken,
            output: JSON.stringify({ service, rolledBack: { service } }),
          }),
        );
        return { accepted: true };
      }
      if (typeof payload.taskToken === 'string') {
        const state =
          step === 'request-approval'
            ? `Approve ${String(payload.environment)}`
            : `${step === 'start-rollout' ? 'Start' : 'Await'} rollout ${String(payload.environment)}`;
        (tokens[state] ??= []).push(payload.taskToken);
        return { accepted: true };
      }
      const handler = handlers[step];
      if (!handler) throw new Error(`no handler for ${step}`);
      return handler(payload);
    },
  } as unknown as LocalLambdas;
  machineArn = emulator.registerStateMachine('shipgate-release', definition as never, lambdas).arn;
  expect(localFunctionArn('verify')).toMatch(/:shipgate-verify$/);
});
afterEach(async () => {
  for (const e of emulator.executions()) {
    if (e.status === 'RUNNING') emulator.operations.StopExecution({ executionArn: e.executionArn });
  }
  // The store writes once per event-loop turn: let it, before its directory goes.
  await new Promise((r) => setTimeout(r, 50));
  rmSync(dir, { recursive: true, force: true });
});

async function start(name: string): Promise<{ executionArn: string; input: ReleaseInput }> {
  const input = testRelease();
  input.release.id = name;
  const { executionArn } = (await emulator.operations.StartExecution({
    stateMachineArn: machineArn,
    name,
    input: JSON.stringify(input),
  })) as { executionArn: string };
  await createRelease({ release: input.release, executionArn }, { table: TABLE });
  return { executionArn, input };
}

function history(executionArn: string): HistoryEvent[] {
  return (
    emulator.operations.GetExecutionHistory({ executionArn, maxResults: 1000 }) as { events: HistoryEvent[] }
  ).events;
}

/** Waits until the execution has entered `state` (and, for a task state, scheduled it). */
async function reach(executionArn: string, state: string | RegExp, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const matches = (n?: string) => (typeof state === 'string' ? n === state : Boolean(n && state.test(n)));
  for (;;) {
    const events = history(executionArn);
    const i = events.findIndex((e) => matches((e.stateEnteredEventDetails as { name?: string })?.name));
    if (
      i >= 0 &&
      (events[i].type !== 'TaskStateEntered' || events.slice(i).some((e) => e.type === 'TaskScheduled'))
    )
      return;
    if (Date.now() > deadline) {
      throw new Error(
        `execution never reached ${String(state)}; entered: ${events
          .map((e) => (e.stateEnteredEventDetails as { name?: string })?.name)
          .filter(Boolean)
          .join(' → ')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function settle(executionArn: string): Promise<void> {
  const deadline = Date.now() + 10000;
  while (
    (emulator.operations.DescribeExecution({ executionArn }) as { status: string }).status === 'RUNNING'
  ) {
    if (Date.now() > deadline) throw new Error('execution did not end');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function succeed(state: string, output: unknown): void {
  const token = tokens[state]?.shift();
  if (!token) throw new Error(`no task token waiting in ${state}`);
  emulator.operations.SendTaskSuccess({ taskToken: token, output: JSON.stringify(output) });
}

function approve(environment: string): void {
  succeed(`Approve ${environment}`, {
    approvalId: `a-${environment}`,
    approvedBy: ['ann'],
    decidedAt: 'now',
  });
}

/** Completes every rollout waiting in the environment until "Verify <env>" is entered. */
async function completeRollouts(executionArn: string, environment: string, input: ReleaseInput) {
  const services = new Set<string>();
  while (services.size < input.release.services.length) {
    await reach(executionArn, `Start rollout ${environment}`);
    const token = tokens[`Start rollout ${environment}`]?.shift();
    if (!token) {
      await new Promise((r) => setTimeout(r, 20));
      continue;
    }
    const service = input.release.services.find((s) => !services.has(s))!;
    services.add(service);
    emulator.operations.SendTaskSuccess({
      taskToken: token,
      output: JSON.stringify(rolloutOutcome(environment, { image: { service } })),
    });
  }
}

/** The record as the API serves it, reduced to what the test compares. */
async function record(id: string) {
  const view: ReleaseView = await describeRelease(id, { sfn: sfn as never, table: TABLE, env });
  return {
    status: view.status,
    step: view.currentStep,
    envs: Object.fromEntries(view.environments.map((e) => [e.name, e.status])),
  };
}

describe('release record versus its execution, at every step', () => {
  it('walks one execution through every state: awaiting approval, deploying, verifying, deployed, frozen, rollout started, aborted', async () => {
    let releaseVerify!: () => void;
    handlers.verify = () =>
      new Promise((resolve) => (releaseVerify = () => resolve({ passed: true, checks: [] })));
    let freezeChecks = 0;
    handlers['check-freeze'] = (p) =>
      p.environment === 'production' && freezeChecks++ === 0
        ? { frozen: true, until: new Date(Date.now() + 1500).toISOString(), reason: 'Weekend freeze' }
        : { frozen: false };
    const { executionArn, input } = await start('walk-every-state');
    // The stored record never moves in this test: only the execution does.
    await updateRelease(input.release.id, { currentStep: 'Approve staging' }, { table: TABLE });

    await reach(executionArn, 'Approve staging');
    expect(await record(input.release.id)).toEqual({
      status: 'RUNNING',
      step: 'Approve staging',
      envs: { staging: 'AWAITING_APPROVAL', production: 'PENDING' },
    });

    approve('staging');
    await reach(executionArn, 'Start rollout staging');
    expect(await record(input.release.id)).toEqual({
      status: 'RUNNING',
      step: 'Start rollout staging',
      envs: { staging: 'DEPLOYING', production: 'PENDING' },
    });

    await completeRollouts(executionArn, 'staging', input);
    await reach(executionArn, 'Verify staging');
    expect(await record(input.release.id)).toEqual({
      status: 'RUNNING',
      step: 'Verify staging',
      envs: { staging: 'VERIFYING', production: 'PENDING' },
    });

    releaseVerify();
    await reach(executionArn, 'Approve production');
    expect(await record(input.release.id)).toEqual({
      status: 'RUNNING',
      step: 'Approve production',
      envs: { staging: 'DEPLOYED', production: 'AWAITING_APPROVAL' },
    });

    approve('production');
    await reach(executionArn, 'Wait for production freeze to end');
    expect(await record(input.release.id)).toEqual({
      status: 'RUNNING',
      step: 'Wait for production freeze to end',
      envs: { staging: 'DEPLOYED', production: 'FROZEN' },
    });

    await reach(executionArn, 'Start rollout production', 10000);
    expect(await record(input.release.id)).toEqual({
      status: 'RUNNING',
      step: 'Start rollout production',
      envs: { staging: 'DEPLOYED', production: 'DEPLOYING' },
    });

    emulator.operations.StopExecution({ executionArn, error: 'Operator.Stop', cause: 'Ctrl-C mid-rollout' });
    await settle(executionArn);
    expect(await record(input.release.id)).toEqual({
      status: 'ABORTED',
      step: 'Start rollout production',
      envs: { staging: 'DEPLOYED', production: 'RUNNING_UNVERIFIED' },
    });
  }, 30000);

  it('aborted while waiting for approval: ABORTED, not AWAITING_APPROVAL', async () => {
    const { executionArn, input } = await start('aborted-at-approval');
    await reach(executionArn, 'Approve staging');
    emulator.operations.StopExecution({ executionArn, error: 'Sandbox.Interrupted', cause: 'stopped' });
    await settle(executionArn);
    expect(await record(input.release.id)).toEqual({
      status: 'ABORTED',
      step: 'Approve staging',
      envs: { staging: 'ABORTED', production: 'SKIPPED' },
    });
  });

  it('failed smoke check: ROLLED_BACK where it failed, SKIPPED after it, FAILED overall', async () => {
    handlers.verify = () => {
      const err = new Error('web: GET /healthz answered 503');
      err.name = 'VerifyFailed';
      throw err;
    };
    const { executionArn, input } = await start('failed-verify');
    await reach(executionArn, 'Approve staging');
    approve('staging');
    await completeRollouts(executionArn, 'staging', input);
    await settle(executionArn);
    const view = await describeRelease(input.release.id, { sfn: sfn as never, table: TABLE, env });
    expect(await record(input.release.id)).toMatchObject({
      status: 'FAILED',
      envs: { staging: 'ROLLED_BACK', production: 'SKIPPED' },
    });
    expect(view.error).toMatchObject({ error: 'VerifyFailed' });
  });

  it('superseded at approval: SUPERSEDED', async () => {
    const { executionArn, input } = await start('superseded');
    await reach(executionArn, 'Approve staging');
    emulator.operations.SendTaskFailure({
      taskToken: tokens['Approve staging'].shift(),
      error: 'ApprovalSuperseded',
      cause: 'a newer release',
    });
    await settle(executionArn);
    expect(await record(input.release.id)).toMatchObject({
      status: 'SUPERSEDED',
      envs: { staging: 'SUPERSEDED', production: 'SKIPPED' },
    });
  });

  it('rejected at production after staging deployed', async () => {
    const { executionArn, input } = await start('rejected');
    await reach(executionArn, 'Approve staging');
    approve('staging');
    await completeRollouts(executionArn, 'staging', input);
    await reach(executionArn, 'Approve production');
    emulator.operations.SendTaskFailure({
      taskToken: tokens['Approve production'].shift(),
      error: 'ApprovalRejected',
      cause: 'Rejected by Ben: not today.',
    });
    await settle(executionArn);
    expect(await record(input.release.id)).toMatchObject({
      status: 'FAILED',
      envs: { staging: 'DEPLOYED', production: 'REJECTED' },
    });
  });

  it('succeeded: every environment DEPLOYED', async () => {
    const { executionArn, input } = await start('succeeded');
    for (const environment of ['staging', 'production']) {
      await reach(executionArn, `Approve ${environment}`);
      approve(environment);
      await completeRollouts(executionArn, environment, input);
    }
    await settle(executionArn);
    expect(await record(input.release.id)).toMatchObject({
      status: 'SUCCEEDED',
      envs: { staging: 'DEPLOYED', production: 'DEPLOYED' },
    });
  });
});
