import { mockClient } from 'aws-sdk-client-mock';
import {
  ContinueServiceDeploymentCommand,
  DescribeServiceDeploymentsCommand,
  ECSClient,
  type ServiceDeployment,
} from '@aws-sdk/client-ecs';
import { DescribeExecutionCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { decidePause } from '../../../lambdas/domain/pauses/decide';
import * as pauseStore from '../../../lambdas/domain/pauses/store';
import { app } from '../../../lambdas/http/app';
import { BrowserSession, startSignInRig, type SignInRig } from '../../helpers/sign-in';
import { pauseDeps, type PauseDeps } from '../../../lambdas/domain/pauses/deps';
import { stepInWords } from '../../../lambdas/domain/pauses/facts';
import { pauseRequestMessage } from '../../../lambdas/domain/pauses/messages';
import type { PauseRecord } from '../../../lambdas/domain/pauses/types';
import { evaluateServiceDeployment } from '../../../lambdas/domain/rollout/service-deployments';
import { startHarness, TABLE, TEST_CONFIG, SECRETS, type Harness } from '../approvals/harness';

/**
 * Pause decisions: the approval rules (approvers, quorum of "continue", no continuing one's own release, one
 * decision each, reason kept), ContinueServiceDeployment exactly once for the decision that closes the pause,
 * the waiting task resumed with the decision, and 409 without any ECS call once ECS no longer waits.
 */

const SD_ARN = 'arn:aws:ecs:eu-west-1:000011112222:service-deployment/shop-production/billing-app/abc';
const HOOK = 'ecs-pause-e7tK9G_WRJqNF_EOMjztDXfKenlJuEUVjsNStf4WLKw';
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAfakePauseTaskToken0123456789';

let h: Harness;
let ddb: DynamoDBDocumentClient;
const ecs = mockClient(ECSClient);
const sfn = mockClient(SFNClient);
let deps: PauseDeps;
let n = 0;

beforeAll(async () => {
  h = await startHarness();
  ddb = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB, region: 'eu-west-1' }),
  );
});
afterAll(async () => h.close());

function hookState(status: string, sdStatus = 'IN_PROGRESS'): ServiceDeployment {
  return {
    serviceDeploymentArn: SD_ARN,
    status: sdStatus as ServiceDeployment['status'],
    lifecycleStage: 'POST_TEST_TRAFFIC_SHIFT',
    lifecycleHookDetails: [
      { hookId: HOOK, targetType: 'PAUSE', status: status as never, timeoutAction: 'ROLLBACK' },
    ],
  };
}

async function openPause(overrides: Partial<PauseRecord> = {}): Promise<{ id: string; rolloutPk: string }> {
  n += 1;
  const id = `pau_test${n}`;
  const rolloutPk = `ROLLOUT#shop-production#billing-app-${n}`;
  const now = Math.floor(Date.now() / 1000);
  const record: PauseRecord = {
    pk: `PAUSE#${id}`,
    sk: 'PAUSE',
    id,
    status: 'OPEN',
    executionArn: `arn:aws:states:eu-west-1:000011112222:execution:shipgate-release:rel-${n}`,
    executionUrl: 'https://console.example.test/x',
    environment: 'production',
    service: 'billing-app',
    release: {
      id: `rel-${n}`,
      projectPath: 'root/billing-app',
      commitSha: 'a'.repeat(40),
      commitTitle: 'Faster invoices',
      triggeredBy: { username: 'alice', email: 'alice@example.com' },
    },
    digest: `sha256:${'b'.repeat(64)}`,
    stage: 'POST_TEST_TRAFFIC_SHIFT',
    hookId: HOOK,
    serviceDeploymentArn: SD_ARN,
    clusterName: 'shop-production',
    serviceName: `billing-app-${n}`,
    policy: {
      approvers: [
        { key: 'alice', name: 'Alice', email: 'alice@example.com' },
        { key: 'bob', name: 'Bob' },
        { key: 'carol', name: 'Carol' },
      ],
      quorum: 2,
      timeoutSeconds: 1800,
      onTimeout: 'ROLLBACK',
      allowSelfApproval: false,
    },
    facts: { step: 'x', smoke: [], alarms: [], weights: { test: 100, production: 0 } },
    votes: {},
    continueCount: 0,
    createdAt: new Date().toISOString(),
    expiresAt: now + 1800,
    ttl: now + 86400,
    ...overrides,
  };
  await ddb.send(new PutCommand({ TableName: TABLE, Item: record }));
  await ddb.send(
    new PutCommand({
      TableName: TABLE,
      Item: {
        pk: rolloutPk,
        sk: 'ROLLOUT',
        attempt: 'att-1',
        status: 'IN_PROGRESS',
        taskToken: TOKEN,
        pause: { hookId: HOOK, stage: 'POST_TEST_TRAFFIC_SHIFT', seenAt: 'x', pauseId: id },
      },
    }),
  );
  return { id, rolloutPk };
}

beforeEach(() => {
  ecs.reset();
  sfn.reset();
  sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
  sfn.on(SendTaskSuccessCommand).resolves({});
  ecs.on(DescribeServiceDeploymentsCommand).resolves({ serviceDeployments: [hookState('AWAITING_ACTION')] });
  ecs.on(ContinueServiceDeploymentCommand).resolves({ serviceDeploymentArn: SD_ARN });
  deps = pauseDeps({
    ddb,
    table: TABLE,
    config: TEST_CONFIG,
    sfn: sfn as never,
    ecs: new ECSClient({ region: 'eu-west-1' }),
  });
});

const vote = (pauseId: string, approver: string, decision: 'continue' | 'rollback', reason?: string) =>
  decidePause({ pauseId, approver, decision, reason, via: 'gitlab', identity: `gitlab:${approver}` }, deps);

test('continue needs the quorum; the decision that makes it calls ContinueServiceDeployment once and resumes the task', async () => {
  const { id, rolloutPk } = await openPause();
  const first = await vote(id, 'bob', 'continue');
  expect(first).toMatchObject({ decided: false, remaining: 1 });
  expect(ecs.commandCalls(ContinueServiceDeploymentCommand)).toHaveLength(0);
  await expect(vote(id, 'bob', 'continue')).rejects.toMatchObject({ name: 'AlreadyVotedError', status: 409 });
  const second = await vote(id, 'carol', 'continue');
  expect(second).toMatchObject({
    decided: true,
    pause: { status: 'CONTINUED', outcome: { by: ['bob', 'carol'] } },
  });
  expect(ecs.commandCalls(ContinueServiceDeploymentCommand).map((c) => c.args[0].input)).toEqual([
    { serviceDeploymentArn: SD_ARN, hookId: HOOK, action: 'CONTINUE' },
  ]);
  const sent = sfn.commandCalls(SendTaskSuccessCommand).map((c) => c.args[0].input);
  expect(sent).toHaveLength(1);
  expect(sent[0].taskToken).toBe(TOKEN);
  expect(JSON.parse(sent[0].output!)).toMatchObject({
    status: 'DECIDED',
    decision: 'continue',
    by: ['bob', 'carol'],
  });
  const rollout = (
    await ddb.send(new GetCommand({ TableName: TABLE, Key: { pk: rolloutPk, sk: 'ROLLOUT' } }))
  ).Item!;
  expect(rollout.taskToken).toBeUndefined();
  expect(rollout.pause.decision).toMatchObject({
    action: 'CONTINUE',
    by: ['Bob (@bob via GitLab)', 'Carol (@carol via GitLab)'],
  });
  // Decided: later decisions are refused and nothing more reaches ECS.
  await expect(vote(id, 'alice', 'rollback')).rejects.toMatchObject({
    name: 'ApprovalClosedError',
    status: 409,
  });
  expect(ecs.commandCalls(ContinueServiceDeploymentCommand)).toHaveLength(1);
  // Nothing secret in the logs.
  expect(h.logs.join('\n')).not.toContain(TOKEN);
  expect(h.logs.join('\n')).not.toContain(SECRETS.linkSigningKey);
});

test('who triggered the release may not continue it (may roll back); someone outside the policy may not decide', async () => {
  const { id } = await openPause();
  await expect(vote(id, 'alice', 'continue')).rejects.toMatchObject({
    name: 'SelfApprovalError',
    status: 403,
  });
  await expect(vote(id, 'mallory', 'continue')).rejects.toMatchObject({
    name: 'NotAnApproverError',
    status: 403,
  });
  expect(ecs.commandCalls(ContinueServiceDeploymentCommand)).toHaveLength(0);
  const rolled = await vote(id, 'alice', 'rollback', 'error rate up');
  expect(rolled.pause).toMatchObject({
    status: 'ROLLED_BACK',
    outcome: { by: ['alice'], reason: 'error rate up' },
  });
  expect(ecs.commandCalls(ContinueServiceDeploymentCommand)[0].args[0].input).toMatchObject({
    action: 'ROLLBACK',
  });
  const sent = JSON.parse(sfn.commandCalls(SendTaskSuccessCommand)[0].args[0].input.output!);
  expect(sent).toMatchObject({ decision: 'rollback', reason: 'error rate up' });
});

test.each([
  ['TIMED_OUT', 'ROLLBACK_IN_PROGRESS', 'TIMED_OUT', /Nobody decided before/],
  ['SUCCEEDED', 'IN_PROGRESS', 'PASSED', /ECS no longer waits at this pause \(hook SUCCEEDED/],
  ['AWAITING_ACTION', 'STOPPED', 'PASSED', /service deployment STOPPED/],
])(
  'hook %s in a %s deployment: 409 with the reason, the pause closes %s, no ECS call',
  async (hook, sd, status, reason) => {
    ecs.on(DescribeServiceDeploymentsCommand).resolves({ serviceDeployments: [hookState(hook, sd)] });
    const { id } = await openPause();
    await expect(vote(id, 'bob', 'continue')).rejects.toMatchObject({
      status: 409,
      message: expect.stringMatching(reason),
    });
    expect(ecs.commandCalls(ContinueServiceDeploymentCommand)).toHaveLength(0);
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
    const item = (
      await ddb.send(new GetCommand({ TableName: TABLE, Key: { pk: `PAUSE#${id}`, sk: 'PAUSE' } }))
    ).Item!;
    expect(item.status).toBe(status);
    expect(item.votes).toEqual({});
  },
);

test('a pause whose execution ended takes no "continue" (closes ENDED), but a "rollback" while ECS still waits is always taken (issue 27)', async () => {
  sfn.on(DescribeExecutionCommand).resolves({ status: 'ABORTED', stopDate: new Date() });
  const { id } = await openPause();
  await expect(vote(id, 'bob', 'continue')).rejects.toMatchObject({
    status: 409,
    message: expect.stringContaining('aborted'),
  });
  expect(ecs.commandCalls(ContinueServiceDeploymentCommand)).toHaveLength(0);
  const ended = (
    await ddb.send(new GetCommand({ TableName: TABLE, Key: { pk: `PAUSE#${id}`, sk: 'PAUSE' } }))
  ).Item!;
  expect(ended.status).toBe('ENDED');
  expect(ended.outcome.reason).toContain('"roll back" is still taken');
  // ECS still waits at the hook: Carol's rollback of the ENDED pause is taken.
  const taken = await vote(id, 'carol', 'rollback', 'nobody verifies this canary');
  expect(taken).toMatchObject({
    decided: true,
    pause: { status: 'ROLLED_BACK', outcome: { by: ['carol'] } },
  });
  expect(ecs.commandCalls(ContinueServiceDeploymentCommand).map((c) => c.args[0].input)).toEqual([
    { serviceDeploymentArn: SD_ARN, hookId: HOOK, action: 'ROLLBACK' },
  ]);
  // Once decided, a second rollback is the usual 409, with no second ECS call.
  await expect(vote(id, 'alice', 'rollback')).rejects.toMatchObject({ status: 409 });
  expect(ecs.commandCalls(ContinueServiceDeploymentCommand)).toHaveLength(1);
});

test('an OPEN pause of an ended execution takes a rollback at once while ECS waits', async () => {
  sfn.on(DescribeExecutionCommand).resolves({ status: 'TIMED_OUT', stopDate: new Date() });
  const { id } = await openPause();
  const taken = await vote(id, 'carol', 'rollback');
  expect(taken).toMatchObject({ decided: true, pause: { status: 'ROLLED_BACK' } });
  expect(ecs.commandCalls(ContinueServiceDeploymentCommand).map((c) => c.args[0].input.action)).toEqual([
    'ROLLBACK',
  ]);
});

test('a rollback on an ended pause is refused with the truth once ECS no longer waits', async () => {
  sfn.on(DescribeExecutionCommand).resolves({ status: 'ABORTED', stopDate: new Date() });
  const { id } = await openPause();
  await expect(vote(id, 'bob', 'continue')).rejects.toMatchObject({ status: 409 });
  ecs
    .on(DescribeServiceDeploymentsCommand)
    .resolves({ serviceDeployments: [hookState('TIMED_OUT', 'ROLLBACK_SUCCESSFUL')] });
  await expect(vote(id, 'carol', 'rollback')).rejects.toMatchObject({ status: 409 });
  expect(ecs.commandCalls(ContinueServiceDeploymentCommand)).toHaveLength(0);
});

test('a vote just before the deadline that ECS refuses because the hook timed out leaves the pause TIMED_OUT, as ECS says (issue 27)', async () => {
  const { id } = await openPause();
  // Looked AWAITING_ACTION when the vote was checked; timed out before ContinueServiceDeployment arrived.
  ecs
    .on(DescribeServiceDeploymentsCommand)
    .resolvesOnce({ serviceDeployments: [hookState('AWAITING_ACTION')] })
    .resolves({ serviceDeployments: [hookState('TIMED_OUT', 'ROLLBACK_IN_PROGRESS')] });
  ecs
    .on(ContinueServiceDeploymentCommand)
    .rejects(Object.assign(new Error('hook is TIMED_OUT'), { name: 'ClientException' }));
  await expect(vote(id, 'carol', 'rollback', 'too late')).rejects.toMatchObject({ status: 409 });
  const item = (await ddb.send(new GetCommand({ TableName: TABLE, Key: { pk: `PAUSE#${id}`, sk: 'PAUSE' } })))
    .Item!;
  expect(item.status).toBe('TIMED_OUT');
  expect(item.outcome.reason).toMatch(
    /ECS did not take the decision \(ClientException\)\. Nobody decided before .*ECS took the timeout action ROLLBACK/,
  );
});

test('ECS refusing the decision (the hook passed in between) is a 409 and nothing is claimed', async () => {
  ecs
    .on(ContinueServiceDeploymentCommand)
    .rejects(Object.assign(new Error('hook is SUCCEEDED'), { name: 'ClientException' }));
  const { id, rolloutPk } = await openPause();
  await expect(vote(id, 'carol', 'rollback', 'late')).rejects.toMatchObject({ status: 409 });
  const item = (await ddb.send(new GetCommand({ TableName: TABLE, Key: { pk: `PAUSE#${id}`, sk: 'PAUSE' } })))
    .Item!;
  expect(item.status).toBe('PASSED');
  expect(item.outcome.reason).toContain('ECS did not take the decision (ClientException');
  const rollout = (
    await ddb.send(new GetCommand({ TableName: TABLE, Key: { pk: rolloutPk, sk: 'ROLLOUT' } }))
  ).Item!;
  expect(rollout.pause.decision).toBeUndefined();
  expect(rollout.taskToken).toBe(TOKEN);
  expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
});

describe('links, words and attribution', () => {
  it('says the step in words', () => {
    const canary = {
      strategy: 'CANARY',
      canary: { canaryPercent: 10, canaryBakeTimeInMinutes: 5 },
      bakeTimeInMinutes: 5,
    };
    const d = `sha256:${'c'.repeat(64)}`;
    expect(stepInWords('PRE_PRODUCTION_TRAFFIC_SHIFT', 10, 100, d, canary)).toBe(
      '10 % of production traffic on sha256:cccccccccccc…, baked 5 min; next: 100 %',
    );
    expect(stepInWords('PRE_PRODUCTION_TRAFFIC_SHIFT', 0, 100, d, canary)).toBe(
      '0 % of production traffic on sha256:cccccccccccc…; next: 10 %',
    );
    expect(stepInWords('POST_TEST_TRAFFIC_SHIFT', 0, 100, d, canary)).toBe(
      '100 % of test traffic and 0 % of production traffic on sha256:cccccccccccc…, before any production traffic moves',
    );
  });

  it('names who rolled back at a pause, or that nobody decided before the timeout', () => {
    const sd: ServiceDeployment = {
      serviceDeploymentArn: SD_ARN,
      status: 'ROLLBACK_SUCCESSFUL',
      lifecycleStage: 'POST_TEST_TRAFFIC_SHIFT',
      rollback: { reason: `Rollback requested with ContinueServiceDeployment at PAUSE hook ${HOOK}` },
      lifecycleHookDetails: [{ hookId: HOOK, targetType: 'PAUSE', status: 'FAILED' }],
    };
    const pause = { hookId: HOOK, stage: 'POST_TEST_TRAFFIC_SHIFT', seenAt: 'x' };
    const decided = evaluateServiceDeployment(sd, {
      previousTaskDefinitionArn: 'arn:td:1',
      pause: { ...pause, decision: { action: 'ROLLBACK', by: ['Carol'], reason: 'p99 up', at: 'x' } },
    });
    expect(decided).toMatchObject({ state: 'FAILED', rolledBackTo: 'arn:td:1' });
    expect(decided.state === 'FAILED' && decided.reason).toContain(
      'rolled back at the pause after test traffic (POST_TEST_TRAFFIC_SHIFT) by Carol: p99 up',
    );
    const timedOut = evaluateServiceDeployment(
      {
        ...sd,
        lifecycleHookDetails: [
          { hookId: HOOK, targetType: 'PAUSE', status: 'TIMED_OUT', timeoutAction: 'ROLLBACK' },
        ],
      },
      { previousTaskDefinitionArn: 'arn:td:1' },
    );
    expect(timedOut.state === 'FAILED' && timedOut.reason).toContain(
      'nobody decided at the pause after test traffic (POST_TEST_TRAFFIC_SHIFT)',
    );
    expect(timedOut.state === 'FAILED' && timedOut.reason).toContain('timeout action ROLLBACK');
  });

  it('the message carries its one review link and Slack buttons while open, neither once closed', async () => {
    const { id } = await openPause();
    const view = (await import('../../../lambdas/domain/pauses/decide')).getPauseView;
    const open = await view(deps, id);
    const msg = pauseRequestMessage(open, { reviewUrl: `https://sg.test/pauses/${id}`, slackApp: true });
    expect(msg.text).toContain(`Review and decide (sign in with GitLab): https://sg.test/pauses/${id}`);
    expect(msg.text).not.toMatch(/Roll back as|sig=/);
    expect(JSON.stringify(msg.blocks)).toContain('"action_id":"pause_continue"');
    expect(JSON.stringify(msg.blocks)).toContain('"action_id":"pause_rollback"');
    const closed = pauseRequestMessage(
      { ...open, status: 'CONTINUED', outcome: { status: 'CONTINUED', at: 'x', by: ['bob', 'carol'] } },
      { slackApp: true },
    );
    expect(JSON.stringify(closed)).not.toContain('pause_continue');
    expect(closed.text).toContain('Continued by Bob, Carol');
  });
});

describe('the review page of a pause (signed in with GitLab)', () => {
  let rig: SignInRig;
  beforeAll(async () => {
    rig = await startSignInRig(
      app,
      ['alice', 'bob', 'carol'].map((u) => ({ username: u, name: u[0].toUpperCase() + u.slice(1) })),
    );
  });
  afterAll(async () => rig?.close());

  async function signedIn(url: string, username: string): Promise<BrowserSession> {
    const browser = new BrowserSession();
    await browser.signIn(url, username);
    return browser;
  }

  it("a rollback that loses the race to the quorum's continue gets 409 and the truth, not 'ECS rolls back'", async () => {
    // Issue 27, item 4: Alice continues. Bob's continue and Carol's rollback then arrive at the same moment;
    // Bob's closes the pause as CONTINUED. Carol's vote is recorded, but her rollback decided nothing.
    ecs
      .on(DescribeServiceDeploymentsCommand)
      .resolves({ serviceDeployments: [hookState('AWAITING_ACTION')] });
    const { id } = await openPause({
      release: {
        id: 'rel-race',
        projectPath: 'root/billing-app',
        commitSha: 'a'.repeat(40),
        commitTitle: 'Faster invoices',
        triggeredBy: { username: 'erin' },
      },
    });
    const url = `${rig.url}/pauses/${id}`;
    expect((await (await signedIn(url, 'alice')).decide(url, 'continue')).status).toBe(200);
    const carol = await signedIn(url, 'carol');
    const bob = await signedIn(url, 'bob');

    // Carol's close waits until Bob's decision has closed the pause: the two arrive "at the same moment".
    const close = pauseStore.closePauseRecord;
    let bobDone!: () => void;
    const bobFinished = new Promise<void>((r) => (bobDone = r));
    const spy = jest.spyOn(pauseStore, 'closePauseRecord').mockImplementationOnce(async (...args) => {
      await bobFinished;
      return close(...args);
    });
    try {
      const carolAnswer = carol.decide(url, 'rollback', 'error rate up');
      await new Promise((r) => setTimeout(r, 0));
      while (spy.mock.calls.length === 0) await new Promise((r) => setTimeout(r, 10));
      const bobAnswer = await bob.decide(url, 'continue');
      bobDone();
      expect(bobAnswer.status).toBe(200);
      expect(bobAnswer.html).toContain('was recorded and decided the pause: Continued by Alice, Bob');
      const answer = await carolAnswer;
      expect(answer.status).toBe(409);
      expect(answer.html).toContain(
        'came too late: the pause had already been decided — Continued by Alice, Bob',
      );
      expect(answer.html).toContain('Your decision changed nothing');
      expect(answer.html).not.toContain('ECS rolls the deployment back');
    } finally {
      spy.mockRestore();
    }
    const item = (
      await ddb.send(new GetCommand({ TableName: TABLE, Key: { pk: `PAUSE#${id}`, sk: 'PAUSE' } }))
    ).Item!;
    expect(item.status).toBe('CONTINUED');
    expect(ecs.commandCalls(ContinueServiceDeploymentCommand).map((c) => c.args[0].input.action)).toEqual([
      'CONTINUE',
    ]);
  });

  it('records who decided with the identity source, and a signed-in stranger may not decide', async () => {
    const { id } = await openPause();
    const url = `${rig.url}/pauses/${id}`;
    const page = await (await signedIn(url, 'alice')).request(url);
    // Alice triggered this release: she may roll back, not continue, and the page says why.
    expect(page.html).toContain(
      'You may not continue: Alice (@alice) triggered the pipeline of this release',
    );
    const res = await (await signedIn(url, 'bob')).decide(url, 'continue', 'fine');
    expect(res.status).toBe(200);
    const item = (
      await ddb.send(new GetCommand({ TableName: TABLE, Key: { pk: `PAUSE#${id}`, sk: 'PAUSE' } }))
    ).Item!;
    expect(item.votes.bob).toMatchObject({ decision: 'continue', via: 'gitlab', identity: 'gitlab:bob' });
  });
});
