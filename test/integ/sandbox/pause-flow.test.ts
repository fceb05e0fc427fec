import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { parse, stringify } from 'yaml';
import { BrowserSession, decideAs, demoManifest } from '../../../sandbox/demo';
import { deliveryInit, gitlabDelivery, pipelinePayload } from '../../helpers/gitlab-deliveries';
import { type SandboxProcess, testSandbox, writeTestConfig } from './sandbox-process';
import { credentials, tempDir, waitFor } from './support';

/**
 * Issue 17, "Done when", against `shipgate dev` in a child process: a CANARY paused after test traffic (an
 * ECS PAUSE hook) waits; two approvers, signed in with GitLab, continue it from its review link and it reaches 100 %; another release is
 * rolled back from a "Roll back" link with a reason and fails with that reason, the old digest running; a
 * pause nobody decides rolls back at its timeout; a link preview, a replay, a tampered link and a decision
 * after the hook passed change nothing.
 *
 * Timing: SHIPGATE_SANDBOX_PHASE_MS=150, so billing-app's 240-minute pause lasts 36 s (time to decide) and
 * inventory-app's 20-minute pause 3 s (nobody decides it; the test lowers the sandbox's two-minute floor for
 * people, SHIPGATE_SANDBOX_HUMAN_WAIT_MS, to 1 s).
 */
describe('sandbox: canary pauses decided from chat (ECS PAUSE hooks)', () => {
  const tmp = tempDir();
  const token = `test-token-${randomBytes(8).toString('hex')}`;
  let sandbox: SandboxProcess;
  let url: string;
  let endpoint: string;
  const client = () => ({ endpoint, region: 'us-east-1', credentials, maxAttempts: 2 });

  beforeAll(async () => {
    const file = writeTestConfig(tmp.dir, { keepPauses: true });
    const config = parse(readFileSync(file, 'utf8')) as {
      services: Record<string, { environments?: Record<string, Record<string, unknown>> }>;
      rollout: Record<string, unknown>;
    };
    const billing = config.services['billing-app'].environments!.production;
    (billing.pauses as Record<string, unknown>[])[0].timeout = '240m';
    config.services['inventory-app'].environments = {
      production: {
        strategy: 'CANARY',
        canaryPercent: 20,
        bakeTime: '1m',
        pauses: [{ at: 'POST_TEST_TRAFFIC_SHIFT', approvers: ['alice', 'bob'], quorum: 1, timeout: '20m' }],
      },
    };
    config.rollout.lockLease = '6h';
    writeFileSync(join(tmp.dir, 'shipgate.config.yaml'), stringify(config));
    // A shorter floor than the two real minutes people get, so the undecided pause times out in seconds.
    ({ sandbox, url, endpoint } = await testSandbox(tmp.dir, token, {
      configFile: file,
      env: { SHIPGATE_SANDBOX_HUMAN_WAIT_MS: '1000' },
    }));
    await sandbox.start();
  }, 90000);

  afterAll(async () => {
    await sandbox?.stop();
    tmp.cleanup();
  });

  async function release(service: string, pipelineId: number, projectId: number) {
    const sha = randomBytes(20).toString('hex');
    const manifest = demoManifest(service, sha, {});
    const put = await new ECRClient(client()).send(
      new PutImageCommand({ repositoryName: service, imageTag: sha, imageManifest: manifest }),
    );
    expect(put.image?.imageId?.imageDigest).toBe(
      `sha256:${createHash('sha256').update(manifest).digest('hex')}`,
    );
    const payload = pipelinePayload({ id: pipelineId, sha });
    Object.assign(payload.project as Record<string, unknown>, {
      id: projectId,
      path_with_namespace: `root/${service}`,
      name: service,
    });
    const res = await fetch(`${url}/webhooks/gitlab`, deliveryInit(gitlabDelivery(payload, { token })));
    expect(res.status).toBe(202);
    const body = (await res.json()) as { executionArn: string; release: string };
    return { sha, digest: put.image!.imageId!.imageDigest!, arn: body.executionArn, id: body.release };
  }

  async function approve(executionArn: string, environment: string, votes: number): Promise<void> {
    const pending = await waitFor(
      `approval links for ${environment}`,
      async () => {
        const res = await fetch(`${url}/_sandbox/api/approvals`);
        const { approvals } = (await res.json()) as {
          approvals: {
            executionArn: string;
            environment: string;
            reviewUrl?: string;
            approvers: { approver: string; voted: boolean }[];
          }[];
        };
        return approvals.find(
          (a) =>
            a.executionArn === executionArn &&
            a.environment === environment &&
            a.reviewUrl &&
            a.approvers.filter((p) => !p.voted).length >= votes,
        );
      },
      60000,
    );
    for (const p of pending.approvers.filter((x) => !x.voted).slice(0, votes)) {
      expect(await decideAs(pending.reviewUrl!, p.approver, 'approve', 'ok')).toBe(200);
    }
  }

  async function chat(): Promise<{ text: string }[]> {
    const res = await fetch(`${url}/_sandbox/api/chat`);
    return ((await res.json()) as { messages: { text: string }[] }).messages;
  }

  /** The pause request of `release` (its one review link). */
  async function pauseLink(sha: string): Promise<{ text: string; link: string }> {
    const message = await waitFor(
      'the pause message',
      async () =>
        (await chat()).find((m) => m.text.startsWith('Decision needed:') && m.text.includes(sha.slice(0, 8))),
      60000,
    );
    const link = /Review and decide \(sign in with GitLab\): (\S+)/.exec(message.text)?.[1] ?? '';
    return { text: message.text, link };
  }

  /** Signs in at the sandbox's GitLab as `username` and submits the pause's review form. */
  async function decide(link: string, username: string, decision: string, reason?: string) {
    const browser = new BrowserSession();
    await browser.signIn(link, username);
    const res = await browser.decide(link, decision as 'continue', reason ?? '');
    return { status: res.status, html: res.html };
  }

  async function settled(executionArn: string): Promise<DescribeExecutionCommandOutput> {
    return waitFor(
      `execution ${executionArn} to finish`,
      async () => {
        const d = await new SFNClient(client()).send(new DescribeExecutionCommand({ executionArn }));
        return d.status === 'RUNNING' ? undefined : d;
      },
      90000,
    );
  }

  async function runningImage(service: string): Promise<string> {
    const ecs = new ECSClient(client());
    const svc = (
      await ecs.send(new DescribeServicesCommand({ cluster: 'shipgate-production', services: [service] }))
    ).services![0];
    const primary = svc.deployments!.find((d) => d.status === 'PRIMARY')!;
    const td = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: primary.taskDefinition }));
    return td.taskDefinition!.containerDefinitions![0].image!;
  }

  async function history(executionArn: string) {
    const out = await new SFNClient(client()).send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }),
    );
    return out.events ?? [];
  }

  let continued: { sha: string; digest: string; arn: string; id: string };

  it('waits at the pause; a preview, an unsigned post and a replay change nothing; two approvers continue it to 100 %', async () => {
    continued = await release('billing-app', 9101, 12);
    await approve(continued.arn, 'staging', 1);
    await approve(continued.arn, 'production', 2);
    const { text, link } = await pauseLink(continued.sha);
    // The message: the step in words, smoke checks so far, the contract's alarms, traffic weights.
    expect(text).toContain('billing-app → production paused after test traffic');
    expect(text).toMatch(/Step: 100 % of test traffic and 0 % of production traffic on sha256:/);
    expect(text).toMatch(/Smoke checks: passed: billing-app: GET \S+ \(test listener\) → 200/);
    expect(text).toContain('Alarms: production-billing-app-5xx OK');
    expect(text).toContain('Traffic on the new revision: test 100 %, production 0 %');
    expect(link).toMatch(/\/pauses\/pau_[A-Za-z0-9_-]+$/);
    expect(text).not.toMatch(/Roll back as|sig=/);

    // A link preview (GET, HEAD) shows the page and decides nothing; deciding needs signing in.
    const preview = await fetch(link, { headers: { 'user-agent': 'facebookexternalhit/1.1' } });
    const page = await preview.text();
    expect(preview.status).toBe(200);
    expect(page).toContain('Sign in with GitLab to decide');
    expect((await fetch(link, { method: 'HEAD' })).status).toBe(200);
    const signedIn = await new BrowserSession().signIn(link, 'alice');
    expect(signedIn.html).toContain(
      '<button type="submit" name="decision" value="continue">Continue</button>',
    );
    expect(signedIn.html).toContain(
      '<button type="submit" name="decision" value="rollback">Roll back</button>',
    );
    expect(signedIn.html).toContain('name="reason"');
    // A post without signing in is refused and records nothing.
    const unsigned = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(link).origin },
      body: new URLSearchParams({ decision: 'continue' }),
    });
    expect(unsigned.status).toBe(401);
    expect((await fetch(link).then((r) => r.text())).includes('No decisions yet.')).toBe(true);

    // Alice continues: one more needed; her replay is refused.
    const first = await decide(link, 'alice', 'continue', 'canary looks fine');
    expect(first.status).toBe(200);
    expect(first.html).toContain('1 more “continue” is needed');
    expect((await decide(link, 'alice', 'continue')).status).toBe(409);
    const execution = await new SFNClient(client()).send(
      new DescribeExecutionCommand({ executionArn: continued.arn }),
    );
    expect(execution.status).toBe('RUNNING');
    // The overview lists it with the pending approvals: who paused where, votes so far, the links left.
    const { pauses } = (await (await fetch(`${url}/_sandbox/api/pauses`)).json()) as {
      pauses: { executionArn: string; continues: number; quorum: number; links: unknown[] }[];
    };
    expect(pauses).toHaveLength(1);
    expect(pauses[0]).toMatchObject({ executionArn: continued.arn, continues: 1, quorum: 2 });
    expect(pauses[0].links).toHaveLength(2);
    const overview = await (await fetch(`${url}/_sandbox/ui/overview`)).text();
    expect(overview).toContain('billing-app → production paused after test traffic');
    expect(overview).toContain('1 of 2 “continue”');
    expect(overview).not.toContain('No approval or pause is waiting');
    // Bob makes the quorum: ECS continues to 100 %.
    const second = await decide(link, 'bob', 'continue');
    expect(second.status).toBe(200);
    expect(second.html).toContain('was recorded and decided the pause');
    const done = await settled(continued.arn);
    expect(done.status).toBe('SUCCEEDED');
    expect(await runningImage('billing-app')).toMatch(new RegExp(`@${continued.digest}$`));

    // Step Functions history: readable states, the decision as the pause state's output, no task token.
    const events = await history(continued.arn);
    const entered = events.map((e) => e.stateEnteredEventDetails?.name).filter(Boolean);
    expect(entered).toEqual(
      expect.arrayContaining(['Paused in production: wait for decision', 'Rollout production paused?']),
    );
    const decided = events.find(
      (e) => e.type === 'TaskSucceeded' && (e.taskSucceededEventDetails?.output ?? '').includes('"DECIDED"'),
    );
    expect(JSON.parse(decided!.taskSucceededEventDetails!.output!)).toMatchObject({
      status: 'DECIDED',
      decision: 'continue',
      by: ['alice', 'bob'],
    });
    // Release history and chat tell the pause and the decision.
    const record = (await (await fetch(`${url}/api/releases/${continued.id}`)).json()) as {
      pauses?: { event: string; detail: string }[];
    };
    expect(record.pauses?.map((p) => p.event)).toEqual(expect.arrayContaining(['PAUSED', 'CONTINUED']));
    expect((await chat()).some((m) => m.text.startsWith('Continued by Alice, Bob'))).toBe(true);

    // A decision after the hook passed: 409 with the reason, nothing changes.
    const late = await decide(link, 'carol', 'rollback', 'too late');
    expect(late.status).toBe(409);
    expect(late.html).toContain('no longer takes decisions');
    expect(await runningImage('billing-app')).toMatch(new RegExp(`@${continued.digest}$`));
  }, 240000);

  it('a "Roll back" with a reason fails the release with that reason; the old digest keeps running', async () => {
    const next = await release('billing-app', 9102, 12);
    await approve(next.arn, 'staging', 1);
    await approve(next.arn, 'production', 2);
    const { link } = await pauseLink(next.sha);
    const res = await decide(link, 'carol', 'rollback', 'p99 latency doubled on the canary');
    expect(res.status).toBe(200);
    const done = await settled(next.arn);
    expect(done.status).toBe('FAILED');
    expect(done.cause).toContain(
      'rolled back at the pause after test traffic (POST_TEST_TRAFFIC_SHIFT) by Carol (@carol via GitLab): p99 latency doubled on the canary',
    );
    expect(await runningImage('billing-app')).toMatch(new RegExp(`@${continued.digest}$`));
    expect(
      (await chat()).some((m) =>
        m.text.startsWith('Rolled back by Carol (@carol via GitLab): p99 latency doubled'),
      ),
    ).toBe(true);
  }, 240000);

  it('a pause nobody decides rolls back at its timeout, and people are told', async () => {
    const before = await runningImage('inventory-app');
    const next = await release('inventory-app', 9103, 11);
    await approve(next.arn, 'staging', 1);
    await approve(next.arn, 'production', 2);
    const done = await settled(next.arn);
    expect(done.status).toBe('FAILED');
    expect(done.cause).toContain('nobody decided at the pause after test traffic');
    expect(done.cause).toContain('timeout action ROLLBACK');
    expect(await runningImage('inventory-app')).toBe(before);
    const told = await waitFor('the timeout message', async () =>
      (await chat()).find((m) => m.text.startsWith('Nobody decided before')),
    );
    expect(told.text).toContain('inventory-app → production paused after test traffic');
  }, 240000);
});
