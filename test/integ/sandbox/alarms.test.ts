import { randomBytes } from 'node:crypto';
import { ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { demoManifest } from '../../../sandbox/demo';
import { deliveryInit, gitlabDelivery, pipelinePayload } from '../../helpers/gitlab-deliveries';
import { SandboxProcess, testSandbox } from './sandbox-process';
import { credentials, tempDir, waitFor } from './support';

type Alarm = { name: string; state: string; reason: string; description: string };
type ChatMessage = { text: string; body: { blocks?: { type: string; text?: { text?: string } }[] } };

/**
 * Shipgate watches itself in the sandbox (issue 31): a function made to throw (the fault switch) fails its
 * release for Shipgate's own reason; the alarms the stack deploys, evaluated by the sandbox's CloudWatch
 * against its own signals (the local Lambda runner's errors, the EMF metric of "Report failure"), go to
 * ALARM; the console's alarms area shows them; and the alarm topic's subscriber, the same alarm-chat bundle
 * as in AWS, posts a "Shipgate itself" message to chat.
 */
describe('sandbox: alarms on Shipgate itself', () => {
  const tmp = tempDir('shipgate-alarms-');
  const token = `alarms-token-${randomBytes(8).toString('hex')}`;
  let sandbox: SandboxProcess;
  let url: string;
  let endpoint: string;
  const client = () => ({ endpoint, region: 'us-east-1', credentials, maxAttempts: 2 });

  beforeAll(async () => {
    // Alarms are evaluated when the test asks (POST /_sandbox/alarms/evaluate), not on a timer.
    ({ sandbox, url, endpoint } = await testSandbox(tmp.dir, token, {
      env: { SHIPGATE_SANDBOX_ALARM_MS: '3600000', SHIPGATE_SANDBOX_RETRY_MS: '50' },
    }));
    await sandbox.start();
  }, 90_000);

  afterAll(async () => {
    await sandbox?.stop();
    tmp.cleanup();
  });

  const evaluate = async (): Promise<Alarm[]> => {
    const res = await fetch(`${url}/_sandbox/alarms/evaluate`, { method: 'POST' });
    expect(res.status).toBe(200);
    return ((await res.json()) as { alarms: Alarm[] }).alarms;
  };
  const chat = async (): Promise<ChatMessage[]> =>
    ((await (await fetch(`${url}/_sandbox/api/chat`)).json()) as { messages: ChatMessage[] }).messages;
  const shipgateItself = (m: ChatMessage) =>
    m.body.blocks?.[0]?.text?.text?.includes('Shipgate itself') ?? false;

  it('starts with every alarm OK, and says nothing in chat about it', async () => {
    const alarms = await evaluate();
    // Queues, errors and throttles of every function, and the workflow's three.
    expect(alarms.length).toBeGreaterThan(40);
    expect(alarms.filter((a) => a.state !== 'OK')).toEqual([]);
    expect(alarms.map((a) => a.name)).toEqual(
      expect.arrayContaining([
        'Shipgate-FailedEventsNotEmpty',
        'Shipgate-ResolveReleaseErrors',
        'Shipgate-ResolveReleaseThrottles',
        'Shipgate-AlarmChatErrors',
        'Shipgate-ReleasesFailedForShipgate',
        'Shipgate-ReleaseStuck',
        'Shipgate-ReconcilerRepaired',
      ]),
    );
    // The settling INSUFFICIENT_DATA → OK ran the OK actions; alarm-chat knows nothing recovered (checked
    // below: every "Shipgate itself" message is about an alarm).
  });

  it('a function made to throw raises its alarm and Shipgate’s-own-failure alarm, on the console and in chat', async () => {
    // GIVEN resolve-release made to throw on its next invocation
    const armed = await fetch(`${url}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ function: 'resolve-release', times: 1 }),
    });
    expect(armed.status).toBe(201);
    // WHEN a release starts
    const sha = randomBytes(20).toString('hex');
    await new ECRClient(client()).send(
      new PutImageCommand({
        repositoryName: 'inventory-app',
        imageTag: sha,
        imageManifest: demoManifest('inventory-app', sha),
      }),
    );
    const res = await fetch(
      `${url}/webhooks/gitlab`,
      deliveryInit(gitlabDelivery(pipelinePayload({ id: 31001, sha }), { token })),
    );
    expect(res.status).toBe(202);
    const { executionArn } = (await res.json()) as { executionArn: string };
    const failed = await waitFor('the release to fail', async () => {
      const d = await new SFNClient(client()).send(new DescribeExecutionCommand({ executionArn }));
      return d.status === 'FAILED' ? d : undefined;
    });
    expect(failed.error).toBe('Sandbox.InjectedFault');

    // THEN the function's error alarm and the workflow's alarm go to ALARM when CloudWatch next evaluates
    const alarms = await evaluate();
    const state = (name: string) => alarms.find((a) => a.name === name)?.state;
    expect(state('Shipgate-ResolveReleaseErrors')).toBe('ALARM');
    expect(state('Shipgate-ReleasesFailedForShipgate')).toBe('ALARM');
    // …and nothing else: no other function failed, no queue filled, nothing is stuck.
    expect(
      alarms
        .filter((a) => a.state === 'ALARM')
        .map((a) => a.name)
        .sort(),
    ).toEqual(['Shipgate-ReleasesFailedForShipgate', 'Shipgate-ResolveReleaseErrors']);
    // The console's alarms area (and its data route) shows it first, in ALARM.
    const listed = ((await (await fetch(`${url}/_sandbox/api/alarms`)).json()) as { alarms: Alarm[] }).alarms;
    expect(listed[0].state).toBe('ALARM');
    const page = await (await fetch(`${url}/_sandbox/ui/alarms`)).text();
    expect(page).toContain('2 in ALARM');
    expect(page).toMatch(/alarm-row alarm[\s\S]*Shipgate-ResolveReleaseErrors/);

    // …and chat gets one "Shipgate itself" message per alarm, through the alarm topic's subscriber.
    const messages = await waitFor('two "Shipgate itself" messages', async () => {
      const mine = (await chat()).filter(shipgateItself);
      return mine.length >= 2 ? mine : undefined;
    });
    const texts = messages.map((m) => m.text).join('\n');
    expect(texts).toContain('Shipgate itself: alarm — Shipgate-ResolveReleaseErrors is in ALARM');
    expect(texts).toContain('Shipgate itself: alarm — Shipgate-ReleasesFailedForShipgate is in ALARM');
    expect(JSON.stringify(messages[0].body)).toContain('/#/alarms');
    expect(messages.filter((m) => !m.text.includes('is in ALARM'))).toEqual([]);
  }, 120_000);
});
