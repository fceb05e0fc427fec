import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { parse, stringify } from 'yaml';
import { SESSION_COOKIE } from '../../../lambdas/domain/decisions/session';
import { BrowserSession, decideAs, demoManifest } from '../../../sandbox/demo';
import { deliveryInit, gitlabDelivery, pipelinePayload } from '../../helpers/gitlab-deliveries';
import { type SandboxProcess, testSandbox, writeTestConfig } from './sandbox-process';
import {
  credentials,
  environmentCredentials,
  runningImage as runningImageOf,
  tempDir,
  waitFor,
} from './support';

/**
 * Issues 17, 26 and 28, "Done when", against `shipgate dev` in a child process: a CANARY paused before each
 * production traffic step (an ECS PAUSE hook at PRE_PRODUCTION_TRAFFIC_SHIFT, after the smoke check) waits;
 * the pause's own approvers and quorum (not the environment's), signed in with GitLab on the pause's one
 * review link, continue it and it reaches 100 %; another release is rolled back from the review page with a
 * reason and fails with that reason, the old digest running; a pause nobody decides rolls back at its
 * timeout; a link preview, an unsigned post, a forged or rewritten sign-in, a signed-in non-approver, another
 * pause's sign-in, a replay and a decision after the hook passed change nothing.
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
    // The example's pause (before each production traffic step), with its own approvers and quorum, unlike
    // production's approval (alice, bob, carol; quorum 2): only Bob and Carol decide, one "continue" is enough.
    const billingPause = (billing.pauses as Record<string, unknown>[])[0];
    expect(billingPause.at).toBe('PRE_PRODUCTION_TRAFFIC_SHIFT');
    Object.assign(billingPause, { timeout: '240m', approvers: ['bob', 'carol'], quorum: 1 });
    config.services['inventory-app'].environments = {
      production: {
        strategy: 'CANARY',
        canaryPercent: 20,
        bakeTime: '1m',
        pauses: [
          { at: 'PRE_PRODUCTION_TRAFFIC_SHIFT', approvers: ['alice', 'bob'], quorum: 1, timeout: '20m' },
        ],
      },
    };
    config.rollout.lockLease = '9h'; // timeout + grace + two 240m pauses (before each traffic step)
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

  /**
   * The pause request of `release` (its one review link); with `after`, the request of a later pause
   * (another hook: a review link other than `after`).
   */
  async function pauseLink(sha: string, after?: string): Promise<{ text: string; link: string }> {
    const linkOf = (text: string) => /Review and decide \(sign in with GitLab\): (\S+)/.exec(text)?.[1] ?? '';
    const message = await waitFor(
      after ? 'the next pause message' : 'the pause message',
      async () =>
        (await chat()).find(
          (m) =>
            m.text.startsWith('Decision needed:') &&
            m.text.includes(sha.slice(0, 8)) &&
            linkOf(m.text) !== '' &&
            linkOf(m.text) !== after,
        ),
      60000,
    );
    return { text: message.text, link: linkOf(message.text) };
  }

  /** A browser signed in as `username` on `link`, with its session cookie rewritten by `rewrite`. */
  async function rewrittenSession(
    link: string,
    username: string,
    rewrite: (payload: string, sig: string) => string,
  ): Promise<BrowserSession> {
    const browser = new BrowserSession();
    await browser.signIn(link, username);
    const cookie = browser.getCookie(link, SESSION_COOKIE)!;
    const value = decodeURIComponent(cookie.value);
    const dot = value.lastIndexOf('.');
    const forged = rewrite(value.slice(0, dot), value.slice(dot + 1));
    browser.setCookie(link, SESSION_COOKIE, encodeURIComponent(forged), cookie.path);
    return browser;
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

  // Production's ECS is in its own account (222222222222): read it with that account's keys.
  const runningImage = (service: string) =>
    runningImageOf(endpoint, 'shipgate-production', service, environmentCredentials('production'));

  async function history(executionArn: string) {
    const out = await new SFNClient(client()).send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }),
    );
    return out.events ?? [];
  }

  let continued: { sha: string; digest: string; arn: string; id: string };

  it("waits before each production traffic step; the pause is decided by its own approvers and quorum (PRE_PRODUCTION_TRAFFIC_SHIFT), not the environment's; a preview, an unsigned post, a forged sign-in, a non-approver and a replay change nothing", async () => {
    continued = await release('billing-app', 9101, 12);
    await approve(continued.arn, 'staging', 1);
    await approve(continued.arn, 'production', 2);
    const { text, link } = await pauseLink(continued.sha);
    // The message: the stage from the hook event, the step in words, smoke checks so far (the smoke check
    // ran at the stage before), the contract's alarms, traffic weights.
    expect(text).toContain('billing-app → production paused before a production traffic step');
    expect(text).toMatch(/Smoke checks: passed: billing-app: GET \S+ \(test listener\) → 200/);
    expect(text).toContain('Alarms: production-billing-app-5xx OK');
    expect(text).toContain('Traffic on the new revision: test 100 %, production 0 %');
    // The pause's approvers and quorum, not production's (alice, bob, carol; quorum 2).
    expect(text).toContain('Needs 1 "continue" of Bob, Carol;');
    expect(link).toMatch(/\/pauses\/pau_[A-Za-z0-9_-]+$/);
    expect(text).not.toMatch(/Roll back as|sig=/);

    // A link preview (GET, HEAD) shows the page and decides nothing; deciding needs signing in.
    const preview = await fetch(link, { headers: { 'user-agent': 'facebookexternalhit/1.1' } });
    const page = await preview.text();
    expect(preview.status).toBe(200);
    expect(page).toContain('Sign in with GitLab to decide');
    expect(page).toContain('Only Bob (@bob), Carol (@carol) may decide');
    expect((await fetch(link, { method: 'HEAD' })).status).toBe(200);
    const signedIn = await new BrowserSession().signIn(link, 'bob');
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
    // A forged sign-in (Bob's session with its signature changed) is refused before anything is read.
    const tampered = await rewrittenSession(
      link,
      'bob',
      (payload, sig) => `${payload}.${(sig[0] === 'A' ? 'B' : 'A') + sig.slice(1)}`,
    );
    const forged = await tampered.decide(link, 'continue');
    expect(forged.status).toBe(401);
    expect(forged.html).toContain('sign-in cookie is not valid');
    // Alice's sign-in cannot be rewritten into Carol's (the session is signed) ...
    const rewritten = await rewrittenSession(link, 'alice', (payload, sig) => {
      const session = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { username: string };
      session.username = 'carol';
      return `${Buffer.from(JSON.stringify(session)).toString('base64url')}.${sig}`;
    });
    const asCarol = await rewritten.decide(link, 'continue');
    expect(asCarol.status).toBe(401);
    expect(asCarol.html).toContain('sign-in cookie is not valid');
    // ... and Alice, signed in as herself, is no approver of this pause (she is one of production's).
    const alice = await decide(link, 'alice', 'continue');
    expect(alice.status).toBe(403);
    expect(alice.html).toContain('@alice, who is not an approver of pause');
    expect(alice.html).toContain('its approvers are @bob, @carol. Nothing was recorded.');
    expect((await fetch(link).then((r) => r.text())).includes('No decisions yet.')).toBe(true);

    // Bob continues: the pause's quorum of 1 is reached (production's approval needs 2); his replay is refused.
    const first = await decide(link, 'bob', 'continue', 'canary looks fine');
    expect(first.status).toBe(200);
    expect(first.html).toContain('was recorded and decided the pause');
    expect(first.html).toContain('Continued by Bob');
    expect((await decide(link, 'bob', 'continue')).status).toBe(409);
    // ECS stops again before the rest of the traffic moves (the hook runs before every traffic step): a new
    // pause with its own review link and the same approvers.
    const second = await pauseLink(continued.sha, link);
    expect(second.text).toContain('billing-app → production paused before a production traffic step');
    expect(second.text).toContain('Needs 1 "continue" of Bob, Carol;');
    expect(second.link).toMatch(/\/pauses\/pau_[A-Za-z0-9_-]+$/);
    const execution = await new SFNClient(client()).send(
      new DescribeExecutionCommand({ executionArn: continued.arn }),
    );
    expect(execution.status).toBe('RUNNING');
    // The overview lists the waiting pause with the pending approvals: where, votes so far, its review link.
    const { pauses } = (await (await fetch(`${url}/_sandbox/api/pauses`)).json()) as {
      pauses: { executionArn: string; continues: number; quorum: number; reviewUrl: string }[];
    };
    expect(pauses).toHaveLength(1);
    expect(pauses[0]).toMatchObject({
      executionArn: continued.arn,
      continues: 0,
      quorum: 1,
      reviewUrl: second.link,
    });
    const overview = await (await fetch(`${url}/_sandbox/ui/overview`)).text();
    expect(overview).toContain('billing-app → production paused before a production traffic step');
    expect(overview).toContain('0 of 1 “continue”');
    expect(overview).not.toContain('No approval or pause is waiting');
    // A sign-in belongs to its pause: Bob's session of the first pause, carried to the second, is refused.
    const carried = new BrowserSession();
    await carried.signIn(link, 'bob');
    const firstSession = carried.getCookie(link, SESSION_COOKIE)!;
    carried.setCookie(second.link, SESSION_COOKIE, firstSession.value, new URL(second.link).pathname);
    const mismatch = await carried.decide(second.link, 'continue');
    expect(mismatch.status).toBe(403);
    expect(mismatch.html).toContain(`Your sign-in is for pause ${link.split('/').pop()}, not pause`);
    expect(mismatch.html).toContain('nothing was recorded');
    expect((await fetch(second.link).then((r) => r.text())).includes('No decisions yet.')).toBe(true);
    // Carol continues the second pause.
    expect((await decide(second.link, 'carol', 'continue')).status).toBe(200);
    const done = await settled(continued.arn);
    expect(done.status).toBe('SUCCEEDED');
    expect(await runningImage('billing-app')).toMatch(new RegExp(`@${continued.digest}$`));

    // Step Functions history: readable states, the decisions as the pause state's output, no task token.
    const events = await history(continued.arn);
    const entered = events.map((e) => e.stateEnteredEventDetails?.name).filter(Boolean);
    expect(entered).toEqual(
      expect.arrayContaining(['Paused in production: wait for decision', 'Rollout production paused?']),
    );
    const decided = events
      .filter(
        (e) =>
          e.type === 'TaskSucceeded' && (e.taskSucceededEventDetails?.output ?? '').includes('"DECIDED"'),
      )
      .map((e) => JSON.parse(e.taskSucceededEventDetails!.output!) as Record<string, unknown>);
    expect(decided).toEqual([
      expect.objectContaining({ status: 'DECIDED', decision: 'continue', by: ['bob'] }),
      expect.objectContaining({ status: 'DECIDED', decision: 'continue', by: ['carol'] }),
    ]);
    // Release history and chat tell the pauses and the decisions.
    const record = (await (await fetch(`${url}/api/releases/${continued.id}`)).json()) as {
      pauses?: { event: string; detail: string }[];
    };
    expect(record.pauses?.map((p) => p.event)).toEqual(expect.arrayContaining(['PAUSED', 'CONTINUED']));
    expect(record.pauses?.filter((p) => p.event === 'PAUSED')).toHaveLength(2);
    const messages = await chat();
    expect(messages.some((m) => m.text.startsWith('Continued by Bob'))).toBe(true);
    expect(messages.some((m) => m.text.startsWith('Continued by Carol'))).toBe(true);

    // A decision after the hook passed: 409 with the reason, nothing changes.
    const late = await decide(second.link, 'bob', 'rollback', 'too late');
    expect(late.status).toBe(409);
    expect(late.html).toContain('no longer takes decisions');
    const lateFirst = await decide(link, 'carol', 'rollback', 'too late');
    expect(lateFirst.status).toBe(409);
    expect(lateFirst.html).toContain('no longer takes decisions');
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
      'rolled back at the pause before a production traffic step (PRE_PRODUCTION_TRAFFIC_SHIFT) by Carol (@carol via GitLab): p99 latency doubled on the canary',
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
    expect(done.cause).toContain('nobody decided at the pause before a production traffic step');
    expect(done.cause).toContain('timeout action ROLLBACK');
    expect(await runningImage('inventory-app')).toBe(before);
    const told = await waitFor('the timeout message', async () =>
      (await chat()).find((m) => m.text.startsWith('Nobody decided before')),
    );
    expect(told.text).toContain('inventory-app → production paused before a production traffic step');
  }, 240000);
});
