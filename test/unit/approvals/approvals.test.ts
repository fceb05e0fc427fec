import {
  DescribeExecutionCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
} from '@aws-sdk/client-sfn';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { approvalDeps } from '../../../lambdas/domain/approvals/deps';
import { requestApproval } from '../../../lambdas/domain/approvals/request';
import { readApprovalRecord } from '../../../lambdas/domain/approvals/store';
import { createRelease, getRelease } from '../../../lambdas/domain/releases/store';
import { slackSignature } from '../../../lambdas/domain/chat/slack';
import { app } from '../../../lambdas/http/app';
import { handler as requestApprovalHandler } from '../../../lambdas/steps/request-approval';
import type { Release } from '../../../lambdas/shared/release';
import { BrowserSession } from '../../helpers/sign-in';
import {
  fakeTaskToken,
  freshProjectId,
  makePayload,
  makeRelease,
  SECRETS,
  useSignedInHarness,
  type Posted,
} from './harness';

/**
 * Approvals end to end through the one hono app: the request step stores the approval and posts the chat
 * message; people follow its review link, sign in with GitLab (the sandbox's OpenID provider in a child
 * process) and vote on the review page; Slack clicks come signed. DynamoDB is real (dynalite on loopback),
 * Step Functions is mocked, chat lands on a loopback server.
 */

const suite = useSignedInHarness(app);
const { sfnMock } = suite;

/** Everything produced during the tests, for the final leak scan. */
const issuedTokens: string[] = [];
const produced: string[] = [];

afterEach(() => {
  for (const call of sfnMock.calls()) {
    const input = call.args[0].input as { output?: string; cause?: string; error?: string };
    produced.push(JSON.stringify({ output: input.output, cause: input.cause, error: input.error }));
  }
});

/** A person with the request's review link, who signs in with GitLab as `username` to vote. */
interface Voter {
  url: string;
  username: string;
}

interface Opened {
  approvalId: string;
  token: string;
  message: Posted;
  /** The one review link of the request. */
  url: string;
  /** Each configured approver (and Dave, who is in no policy) with that link. */
  links: Record<'Alice' | 'Bob' | 'Carol' | 'Dave', Voter>;
}

function voters(url: string): Opened['links'] {
  return {
    Alice: { url, username: 'alice' },
    Bob: { url, username: 'bob' },
    Carol: { url, username: 'carol' },
    Dave: { url, username: 'dave' },
  };
}

async function open(release: Release, environment: string, token = fakeTaskToken()): Promise<Opened> {
  issuedTokens.push(token);
  const before = suite.harness.posts.length;
  const result = await requestApprovalHandler(makePayload(release, environment, token));
  produced.push(JSON.stringify(result));
  const message = suite.harness.posts
    .slice(before)
    .find((p) => JSON.stringify(p.body).includes(`/approvals/${result.approvalId}`));
  if (!message) throw new Error(`no chat message for ${result.approvalId}`);
  const url = reviewLink(message);
  return { approvalId: result.approvalId, token, message, url, links: voters(url) };
}

/** The message's "Review and decide" button. */
function reviewLink(post: Posted): string {
  for (const block of post.body.blocks as {
    type: string;
    elements?: { text: { text: string }; url?: string }[];
  }[]) {
    if (block.type !== 'actions') continue;
    for (const el of block.elements ?? []) if (el.text.text === 'Review and decide' && el.url) return el.url;
  }
  throw new Error('no "Review and decide" button in the message');
}

/** A request as a browser that is not signed in sends it. */
async function request(target: string | Voter, init: RequestInit = {}) {
  const url =
    typeof target === 'string' ? (target.startsWith('/') ? `${suite.rig.url}${target}` : target) : target.url;
  const res = await fetch(url, { redirect: 'manual', ...init });
  const body = await res.text();
  const headers: string[] = [];
  res.headers.forEach((value, name) => headers.push(`${name}: ${value}`));
  produced.push(body, headers.join('\n'));
  return { status: res.status, body, headers: res.headers };
}

/** The review page as the voter sees it once signed in. */
async function pageAs(voter: Voter) {
  const browser = new BrowserSession();
  const page = await browser.signIn(voter.url, voter.username);
  produced.push(page.html);
  return { status: page.status, body: page.html };
}

/** Signs in as the voter and submits the review page's form (with extra headers, e.g. a cross-site one). */
async function vote(voter: Voter, decision: string, reason?: string, headers: Record<string, string> = {}) {
  const browser = new BrowserSession();
  await browser.signIn(voter.url, voter.username);
  const page = await browser.request(voter.url);
  const csrf = /name="csrf" value="([^"]*)"/.exec(page.html)?.[1] ?? '';
  const res = await browser.request(voter.url, {
    method: 'POST',
    form: { csrf, decision, ...(reason ? { reason } : {}) },
    headers,
  });
  produced.push(res.html);
  return { status: res.status, body: res.html };
}

const record = (id: string) => readApprovalRecord(approvalDeps(), id);
const successCalls = () => sfnMock.commandCalls(SendTaskSuccessCommand);
const failureCalls = () => sfnMock.commandCalls(SendTaskFailureCommand);
const followUps = (id: string, word: string) =>
  suite.harness.posts.filter(
    (p) => String(p.body.text).startsWith(`${word}:`) && JSON.stringify(p.body).includes(id),
  );

describe('request-approval step and chat message', () => {
  it('stores the approval with its policy and posts one message with one review link for everyone', async () => {
    const release = makeRelease(1, freshProjectId());
    const { approvalId, token, message, url } = await open(release, 'production');

    const item = await record(approvalId);
    expect(item).toMatchObject({
      status: 'OPEN',
      environment: 'production',
      taskToken: token,
      policy: { quorum: 2, timeoutSeconds: 3600, allowSelfApproval: false },
    });
    expect(item?.policy.approvers.map((a) => [a.key, a.slack])).toEqual([
      ['alice', 'U01ALICE01'],
      ['bob', 'U01BOB0001'],
      ['carol', undefined],
    ]);
    expect(message.path).toBe(SECRETS.chatPath);

    // One URL button for everyone: the request's review page. It grants nothing by itself.
    expect(url).toBe(`${suite.rig.url}/approvals/${approvalId}`);
    expect(JSON.stringify(message.body)).not.toMatch(/Review as|sig=|exp=/);
    const blocks = message.body.blocks as {
      type: string;
      text?: { text: string };
      fields?: { text: string }[];
    }[];
    expect(blocks[0]).toMatchObject({
      type: 'header',
      text: { text: `Approval needed: root/api-gateway ${release.commit.sha.slice(0, 8)} → production` },
    });
    const fields = blocks[1].fields?.map((f) => f.text).join('\n');
    expect(fields).toContain('Add rate limiting, part 1');
    expect(fields).toContain('Erin Example (erin)');
    expect(fields).toContain('Scan passed: 0 critical, 2 high');
    expect(JSON.stringify(blocks)).toContain(`sha256:${'1'.repeat(64)}`);
    expect(JSON.stringify(blocks)).toContain('pipelines/901|Pipeline #901');
    expect(JSON.stringify(blocks)).toContain(encodeURIComponent(`execution:shipgate-release:${release.id}`));
    // Slack app configured: interactive buttons naming the approval, never the token.
    const decide = blocks.find((b) => JSON.stringify(b).includes('"action_id":"approve"')) as unknown as {
      elements: { action_id: string; value: string }[];
    };
    expect(decide.elements.map((e) => [e.action_id, e.value])).toEqual([
      ['approve', approvalId],
      ['reject', approvalId],
    ]);

    // The text fallback reads on its own (Mattermost): what, where, who, and the links.
    const text = String(message.body.text);
    expect(text).toContain(
      `Approval needed: root/api-gateway \`${release.commit.sha.slice(0, 8)}\` "Add rate limiting, part 1" → production`,
    );
    expect(text).toContain('Needs 2 of: Alice, Bob, Carol');
    expect(text).toContain(`Review and decide (sign in with GitLab): ${url}`);
    expect(text).toContain('Pipeline #901: https://gitlab.example.test/root/api-gateway/-/pipelines/901');

    expect(JSON.stringify(message.body)).not.toContain(token);
    expect(JSON.stringify(message.body)).not.toContain(SECRETS.linkSigningKey);
  });

  it('is idempotent when Step Functions retries the invoke with the same token', async () => {
    const release = makeRelease(2, freshProjectId());
    const token = fakeTaskToken();
    const first = await open(release, 'staging', token);
    const postsBefore = suite.harness.posts.length;
    const again = await requestApprovalHandler(makePayload(release, 'staging', token));
    expect(again.approvalId).toBe(first.approvalId);
    expect(suite.harness.posts.length).toBe(postsBefore);
    expect(failureCalls()).toHaveLength(0);
  });

  it('still opens the approval when chat is unreachable, and logs no URL', async () => {
    const saved = process.env.SHIPGATE_CHAT_WEBHOOK_URL;
    process.env.SHIPGATE_CHAT_WEBHOOK_URL = 'http://127.0.0.1:9/hooks/unreachable-secret-path';
    try {
      const token = fakeTaskToken();
      issuedTokens.push(token);
      const result = await requestApprovalHandler(
        makePayload(makeRelease(3, freshProjectId()), 'staging', token),
      );
      expect((await record(result.approvalId))?.status).toBe('OPEN');
      expect(suite.harness.logs.some((l) => l.includes('Could not reach the chat webhook'))).toBe(true);
      expect(suite.harness.logs.join('\n')).not.toContain('unreachable-secret-path');
    } finally {
      process.env.SHIPGATE_CHAT_WEBHOOK_URL = saved;
    }
  });
});

describe('confirm page', () => {
  it.each([
    ['Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)'],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0 SafeLinks',
    ],
  ])('GET and HEAD by a preview bot (%s) show the page and decide nothing', async (ua) => {
    const { approvalId, links } = await open(makeRelease(4, freshProjectId()), 'staging');
    const page = await request(links.Alice, { headers: { 'user-agent': ua } });
    expect(page.status).toBe(200);
    expect(page.body).toContain('Add rate limiting, part 4');
    // Not signed in: the page offers signing in with GitLab, not a form.
    expect(page.body).toContain('Sign in with GitLab to decide');
    expect(page.body).not.toContain('<form method="post">');
    const signedIn = await pageAs(links.Alice);
    expect(signedIn.body).toContain('Signed in as <strong>Alice</strong> (GitLab <code>@alice</code>)');
    expect(signedIn.body).toContain('name="decision" value="approve"');
    expect(signedIn.body).toContain('name="decision" value="reject"');
    expect(signedIn.body).toContain('<textarea id="reason" name="reason"');
    expect(page.headers.get('content-security-policy')).toMatch(
      /^default-src 'none'; style-src 'sha256-[^']+'; form-action 'self'/,
    );
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('cache-control')).toBe('no-store');

    const head = await request(links.Bob, { method: 'HEAD', headers: { 'user-agent': ua } });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');

    // Only reads: the page asks whether the execution still waits (DescribeExecution), never decides.
    expect(
      sfnMock
        .calls()
        .map((call) => (call.args[0] as object).constructor.name)
        .filter((n) => n !== 'DescribeExecutionCommand'),
    ).toEqual([]);
    expect((await record(approvalId))?.votes).toEqual({});
  });

  it('for an aborted execution: the page says the release is no longer waiting, a vote answers 409 with the true reason, nothing is a timeout', async () => {
    const { approvalId, links } = await open(makeRelease(40, freshProjectId()), 'production');
    sfnMock.on(DescribeExecutionCommand).resolves({
      status: 'ABORTED',
      stopDate: new Date('2026-11-21T12:00:00Z'),
      error: 'Sandbox.Interrupted',
      cause: 'The sandbox stopped',
    });
    const postsBefore = suite.harness.posts.length;
    const page = await request(links.Alice);
    expect(page.status).toBe(200);
    expect(page.body).toContain('This release is no longer waiting for approval');
    expect(page.body).toContain('its execution was aborted at 2026-11-21T12:00:00.000Z');
    expect(page.body).not.toContain('<form');
    expect((await record(approvalId))?.status).toBe('OPEN'); // GET changes nothing

    const posted = await vote(links.Alice, 'approve');
    expect(posted.status).toBe(409);
    expect(posted.body).toContain('its execution was aborted at 2026-11-21T12:00:00.000Z');
    expect(posted.body).toContain('The sandbox stopped');
    expect(posted.body).not.toMatch(/timed out/i);
    const item = await record(approvalId);
    expect(item?.status).toBe('ENDED');
    expect(item?.votes).toEqual({});
    expect(successCalls()).toHaveLength(0);
    expect(failureCalls()).toHaveLength(0);
    expect(JSON.stringify(suite.harness.posts.slice(postsBefore))).not.toMatch(/Timed out|failed closed/);

    const again = await vote(links.Bob, 'reject', 'too late.');
    expect(again.status).toBe(409);
    expect(again.body).toContain('its execution was aborted');
  });

  it('old personal links lead to the review page and grant nothing; a POST without signing in records nothing', async () => {
    const a = await open(makeRelease(5, freshProjectId()), 'staging');
    const legacy = await request(`/approvals/${a.approvalId}/alice?exp=9999999999&sig=${'A'.repeat(43)}`);
    expect(legacy.status).toBe(303);
    expect(legacy.headers.get('location')).toBe(a.url);
    const anonymous = await request(a.url, {
      method: 'POST',
      body: new URLSearchParams({ decision: 'approve' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toContain('Nobody is signed in on this approval: nothing was recorded');
    expect(sfnMock.calls()).toHaveLength(0);
    expect((await record(a.approvalId))?.votes).toEqual({});
  });

  it("passes an approver's hotfix mark on to the workflow (the ledger counts the release as unplanned)", async () => {
    const { approvalId, links } = await open(makeRelease(8, freshProjectId()), 'production');
    const page = await pageAs(links.Alice);
    expect(page.body).toContain('<input type="checkbox" name="hotfix" value="1">');
    const post = async (voter: Voter, hotfix: boolean) => {
      const browser = new BrowserSession();
      await browser.signIn(voter.url, voter.username);
      return browser.decide(voter.url, 'approve', '', hotfix ? { hotfix: '1' } : {});
    };
    expect((await post(links.Alice, true)).status).toBe(200);
    expect((await record(approvalId))?.votes.alice).toMatchObject({ decision: 'approve', hotfix: true });
    expect((await post(links.Bob, false)).status).toBe(200);
    expect(JSON.parse(successCalls()[0].args[0].input.output ?? '')).toEqual({
      approvalId,
      approvedBy: ['alice', 'bob'],
      approvedVia: ['gitlab', 'gitlab'],
      approvedNames: ['Alice', 'Bob'],
      decidedAt: expect.stringMatching(/^\d{4}-/),
      requestedAt: expect.stringMatching(/^\d{4}-/),
      hotfix: true,
    });
  });

  it('waits for a quorum of distinct approvers and sends SendTaskSuccess exactly once', async () => {
    const { approvalId, token, links } = await open(makeRelease(7, freshProjectId()), 'production');

    const first = await vote(links.Alice, 'approve', 'Looks good');
    expect(first.status).toBe(200);
    expect(first.body).toContain('Your decision “approve” was recorded. 1 more “approve” is needed.');
    const again = await vote(links.Alice, 'approve');
    expect(again.status).toBe(409);
    expect(again.body).toContain('Alice already voted');
    expect(successCalls()).toHaveLength(0);
    expect((await record(approvalId))?.status).toBe('OPEN');

    const second = await vote(links.Bob, 'approve');
    expect(second.status).toBe(200);
    expect(second.body).toContain(
      'Your decision “approve” was recorded and decided the approval: Approved by Alice, Bob',
    );
    expect(successCalls()).toHaveLength(1);
    const input = successCalls()[0].args[0].input;
    expect(input.taskToken).toBe(token);
    expect(JSON.parse(input.output ?? '')).toEqual({
      approvalId,
      approvedBy: ['alice', 'bob'],
      approvedVia: ['gitlab', 'gitlab'],
      approvedNames: ['Alice', 'Bob'],
      decidedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      // When the request opened: how long people took (issue 31's WaitingForPeopleSeconds).
      requestedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });

    const late = await vote(links.Carol, 'approve');
    expect(late.status).toBe(409);
    expect(late.body).toContain('already decided: approved by Alice, Bob');
    expect(successCalls()).toHaveLength(1);

    const item = await record(approvalId);
    expect(item?.status).toBe('APPROVED');
    expect(item?.votes.alice).toMatchObject({
      decision: 'approve',
      reason: 'Looks good',
      via: 'gitlab',
      identity: 'gitlab:alice',
    });
    expect(item?.outcome).toMatchObject({ status: 'APPROVED', by: ['alice', 'bob'] });
    expect(followUps(approvalId, 'Approved')).toHaveLength(1);
  });

  it('ends the approval on a rejection with who and why in the failure cause', async () => {
    const { approvalId, links } = await open(makeRelease(8, freshProjectId()), 'production');
    expect((await vote(links.Alice, 'approve')).status).toBe(200);
    const res = await vote(links.Bob, 'reject', 'Error budget is exhausted this week');
    expect(res.status).toBe(200);
    expect(res.body).toContain(
      'Your decision “reject” was recorded and decided the approval: Rejected by Bob',
    );
    expect(failureCalls()).toHaveLength(1);
    expect(failureCalls()[0].args[0].input).toMatchObject({
      error: 'ApprovalRejected',
      cause: 'Rejected by Bob (@bob via GitLab): Error budget is exhausted this week',
    });
    expect(successCalls()).toHaveLength(0);
    expect((await vote(links.Carol, 'approve')).status).toBe(409);
    expect((await record(approvalId))?.outcome).toMatchObject({
      status: 'REJECTED',
      by: ['bob'],
      reason: 'Error budget is exhausted this week',
    });
    const follow = followUps(approvalId, 'Rejected');
    expect(follow).toHaveLength(1);
    expect(String(follow[0].body.text)).toContain(
      'Rejected by Bob (@bob via GitLab): Error budget is exhausted this week',
    );
  });

  it('blocks self-approval by GitLab username or email unless the policy allows it', async () => {
    const byAlice = makeRelease(9, freshProjectId(), {
      triggeredBy: { username: 'alice', name: 'Alice A.' },
    });
    const prod = await open(byAlice, 'production');
    const page = await pageAs(prod.links.Alice);
    expect(page.body).toContain('You may not approve: Alice (@alice) triggered the pipeline of this release');
    expect(page.body).not.toContain('value="approve"');
    const res = await vote(prod.links.Alice, 'approve');
    expect(res.status).toBe(403);
    expect(res.body).toContain('does not allow approving one&#39;s own release');
    expect((await record(prod.approvalId))?.votes).toEqual({});

    const byBobEmail = makeRelease(10, freshProjectId(), {
      triggeredBy: { username: 'robert', email: 'Bob@Example.com' },
    });
    const prod2 = await open(byBobEmail, 'production');
    expect((await vote(prod2.links.Bob, 'approve')).status).toBe(403);

    // Staging allows it: Alice may approve her own release there.
    const staging = await open(
      makeRelease(11, freshProjectId(), { triggeredBy: { username: 'alice' } }),
      'staging',
    );
    expect((await vote(staging.links.Alice, 'approve')).status).toBe(200);
    expect(successCalls()).toHaveLength(1);
  });

  it('refuses a signed-in GitLab user outside the policy with 403 and says so on the page', async () => {
    const { approvalId, links } = await open(makeRelease(12, freshProjectId()), 'production');
    const page = await pageAs(links.Dave);
    expect(page.body).toContain('@dave is not an approver here, so you may not decide');
    expect(page.body).not.toContain('name="decision"');
    const res = await vote(links.Dave, 'approve');
    expect(res.status).toBe(403);
    expect(res.body).toContain('signed in with GitLab as @dave, who is not an approver');
    expect((await record(approvalId))?.votes).toEqual({});
  });

  it('fails closed after the deadline: the page takes no votes, a late vote is 409 and the request is marked EXPIRED', async () => {
    // Opened two hours ago with a one-hour timeout.
    const token = fakeTaskToken();
    issuedTokens.push(token);
    const release = makeRelease(13, freshProjectId());
    const past = new Date(Date.now() - 2 * 3600 * 1000);
    const before = suite.harness.posts.length;
    const { approvalId } = await requestApproval(
      makePayload(release, 'production', token),
      approvalDeps({ now: () => past }),
    );
    const links = voters(reviewLink(suite.harness.posts.slice(before)[0]));

    const page = await request(links.Alice);
    expect(page.status).toBe(200);
    expect(page.body).toContain('has passed; the request no longer takes votes');
    expect((await record(approvalId))?.status).toBe('OPEN'); // GET changes nothing

    const res = await vote(links.Alice, 'approve');
    expect(res.status).toBe(409);
    expect(res.body).toContain('timed out');
    const item = await record(approvalId);
    expect(item?.status).toBe('EXPIRED');
    expect(item?.outcome?.reason).toMatch(/timed out at .* with 0 of 2 approvals/);
    expect(successCalls()).toHaveLength(0);
    expect(failureCalls().map((c) => c.args[0].input.error)).toEqual(['ApprovalExpired']);
    expect(followUps(approvalId, 'Timed out')).toHaveLength(1);
  });

  it('reports 409 and records a timeout when Step Functions says the task already timed out', async () => {
    const { approvalId, links } = await open(makeRelease(15, freshProjectId()), 'staging');
    sfnMock
      .on(SendTaskSuccessCommand)
      .rejects(Object.assign(new Error('Task Timed Out'), { name: 'TaskTimedOut' }));
    const res = await vote(links.Alice, 'approve');
    expect(res.status).toBe(409);
    expect(res.body).toContain('timed out');
    const item = await record(approvalId);
    expect(item?.status).toBe('EXPIRED');
    expect(item?.taskResult).toMatchObject({ sent: false, note: 'approval: TaskTimedOut' });
  });

  it('says so when Step Functions cannot be reached after the decision, and records it', async () => {
    const { approvalId, links } = await open(makeRelease(30, freshProjectId()), 'staging');
    sfnMock
      .on(SendTaskSuccessCommand)
      .rejects(Object.assign(new Error('Service unavailable'), { name: 'ServiceUnavailable' }));
    const res = await vote(links.Bob, 'approve');
    expect(res.status).toBe(200);
    expect(res.body).toContain('the workflow could not be told right now');
    const item = await record(approvalId);
    expect(item?.status).toBe('APPROVED');
    expect(item?.taskResult).toMatchObject({ sent: false, note: 'approval: ServiceUnavailable' });
    expect(
      suite.harness.logs.some(
        (l) => l.includes('did not take the approval of approval') && l.includes('"level":"ERROR"'),
      ),
    ).toBe(true);
  });

  it('answers a double POST with one 200 and one 409, and sends exactly one SendTaskSuccess', async () => {
    const { approvalId, links } = await open(makeRelease(16, freshProjectId()), 'production');
    expect((await vote(links.Alice, 'approve')).status).toBe(200);
    const results = await Promise.all([vote(links.Bob, 'approve'), vote(links.Bob, 'approve')]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(successCalls()).toHaveLength(1);
    expect((await record(approvalId))?.status).toBe('APPROVED');

    // Two different approvers racing for a quorum of one: still one task result.
    const staging = await open(makeRelease(17, freshProjectId()), 'staging');
    const raced = await Promise.all([
      vote(staging.links.Alice, 'approve'),
      vote(staging.links.Bob, 'approve'),
    ]);
    expect(raced.every((r) => r.status === 200 || r.status === 409)).toBe(true);
    expect(successCalls()).toHaveLength(2);
  });

  it('renders commit titles and reasons escaped in the page and the chat message', async () => {
    const evil = '<script>alert(1)</script><img src=x onerror=alert(2)> @channel & "quotes"';
    const release = makeRelease(18, freshProjectId());
    release.commit.title = evil;
    const { links, message } = await open(release, 'production');
    const res = await vote(links.Alice, 'approve', '</textarea><script>steal()</script>');
    expect(res.status).toBe(200);
    expect(res.body).not.toMatch(/<script|<img|onerror=alert\(2\)>/);
    expect(res.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;');
    expect(res.body).toContain('&lt;/textarea&gt;&lt;script&gt;steal()&lt;/script&gt;');
    const text = String(message.body.text);
    expect(text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(text).not.toContain('<script>');
    expect(text).toContain('@\u200bchannel');
    expect(JSON.stringify(message.body.blocks)).not.toContain('<script>');
  });

  it("accepts only same-site form posts carrying the session's CSRF token", async () => {
    const { approvalId, links } = await open(makeRelease(19, freshProjectId()), 'staging');
    const json = await request(links.Alice, {
      method: 'POST',
      body: JSON.stringify({ decision: 'approve' }),
      headers: { 'content-type': 'application/json' },
    });
    expect(json.status).toBe(415);
    expect((await vote(links.Alice, 'approve', undefined, { 'sec-fetch-site': 'cross-site' })).status).toBe(
      403,
    );
    expect((await vote(links.Alice, 'approve', undefined, { origin: 'https://evil.example' })).status).toBe(
      403,
    );
    expect((await vote(links.Alice, 'maybe')).status).toBe(400);
    // Signed in, but the form carries no (or another session's) CSRF token.
    const browser = new BrowserSession();
    await browser.signIn(links.Alice.url, 'alice');
    const noToken = await browser.request(links.Alice.url, { method: 'POST', form: { decision: 'approve' } });
    expect(noToken.status).toBe(403);
    expect(noToken.html).toContain('security token does not match your sign-in');
    expect((await record(approvalId))?.votes).toEqual({});
    expect(sfnMock.calls().filter((c) => !(c.args[0] instanceof DescribeExecutionCommand))).toHaveLength(0);
    // The same origin as the public URL is fine (older browsers without Sec-Fetch-Site).
    expect((await vote(links.Alice, 'approve', undefined, { origin: suite.rig.url })).status).toBe(200);
  });
});

describe('release record', () => {
  it('shows approval progress on the release: awaiting, approved, superseded', async () => {
    const projectId = freshProjectId();
    const release = makeRelease(27, projectId);
    const executionArn = makePayload(release, 'production').executionArn;
    await createRelease({ release, executionArn });
    const { links } = await open(release, 'production');
    expect((await getRelease(release.id))?.environments.production).toMatchObject({
      status: 'AWAITING_APPROVAL',
      detail: 'waiting for 2 more of Alice, Bob, Carol',
      digests: { 'api-gateway': `sha256:${'1'.repeat(64)}` },
    });
    expect((await getRelease(release.id))?.currentStep).toBe('Approve production');
    await vote(links.Alice, 'approve');
    expect((await getRelease(release.id))?.environments.production.detail).toBe(
      'waiting for 1 more of Alice, Bob, Carol (approved by Alice)',
    );
    await vote(links.Carol, 'approve');
    expect((await getRelease(release.id))?.environments.production).toMatchObject({
      status: 'APPROVED',
      detail: expect.stringMatching(/^Approved by Alice, Carol \(@alice via GitLab, @carol via GitLab\) at /),
    });

    const older = makeRelease(26, projectId);
    await createRelease({ release: older, executionArn: makePayload(older, 'staging').executionArn });
    await open(makeRelease(28, projectId), 'staging');
    const token = fakeTaskToken();
    issuedTokens.push(token);
    await requestApprovalHandler(makePayload(older, 'staging', token));
    const stale = await getRelease(older.id);
    expect(stale?.status).toBe('SUPERSEDED');
    expect(stale?.environments.staging).toMatchObject({
      status: 'SKIPPED',
      detail: expect.stringContaining('superseded'),
    });
  });
});

describe('superseding', () => {
  it('supersedes older pending approvals of the project, and an older release arriving late at once', async () => {
    const projectId = freshProjectId();
    const older = await open(makeRelease(20, projectId), 'production');
    const newer = await open(makeRelease(21, projectId), 'staging');

    const oldItem = await record(older.approvalId);
    expect(oldItem?.status).toBe('SUPERSEDED');
    expect(failureCalls()).toHaveLength(1);
    expect(failureCalls()[0].args[0].input).toMatchObject({
      taskToken: older.token,
      error: 'ApprovalSuperseded',
      cause: expect.stringContaining(`superseded by the newer release ${makeRelease(21, projectId).id}`),
    });
    expect(followUps(older.approvalId, 'Superseded')).toHaveLength(1);
    expect((await vote(older.links.Alice, 'approve')).status).toBe(409);
    expect((await record(newer.approvalId))?.status).toBe('OPEN');

    // Release 19 (older than 21) asks now: superseded at once, no request message.
    const token = fakeTaskToken();
    issuedTokens.push(token);
    const before = suite.harness.posts.length;
    const late = await requestApprovalHandler(makePayload(makeRelease(19, projectId), 'staging', token));
    expect(late.status).toBe('SUPERSEDED');
    expect(failureCalls()[1].args[0].input).toMatchObject({ taskToken: token, error: 'ApprovalSuperseded' });
    const lateMessages = suite.harness.posts.slice(before);
    expect(lateMessages).toHaveLength(1);
    expect(String(lateMessages[0].body.text)).toMatch(/^Superseded:/);
    expect((await record(newer.approvalId))?.status).toBe('OPEN');
  });

  it('replaces the open request of the same release when the state runs again with a new token', async () => {
    const release = makeRelease(22, freshProjectId());
    const first = await open(release, 'staging');
    const second = await open(release, 'staging');
    expect(second.approvalId).not.toBe(first.approvalId);
    expect((await record(first.approvalId))?.status).toBe('SUPERSEDED');
    expect(failureCalls()[0].args[0].input.cause).toContain('Replaced by a new approval request');
    expect((await record(second.approvalId))?.status).toBe('OPEN');
  });
});

describe('Slack app mode', () => {
  const fixture = JSON.parse(
    readFileSync(join(__dirname, '../../fixtures/slack/block-actions.json'), 'utf8'),
  );

  function click(
    approvalId: string,
    userId: string,
    actionId: 'approve' | 'reject',
    offsetSeconds = 0,
    sign = true,
  ) {
    const payload = {
      ...fixture,
      user: { ...fixture.user, id: userId },
      response_url: suite.harness.responseUrl,
      actions: [{ ...fixture.actions[0], action_id: actionId, value: approvalId }],
    };
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    const ts = Math.floor(Date.now() / 1000) + offsetSeconds;
    return request('/slack/interactions', {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(ts),
        'x-slack-signature': sign
          ? slackSignature(SECRETS.slackSigningSecret, ts, body)
          : `v0=${'0'.repeat(64)}`,
      },
    });
  }

  const responses = () => suite.harness.posts.filter((p) => p.path === '/slack-response');

  it('accepts signatures within ±299 s and rejects ±301 s and bad signatures with 401', async () => {
    const { approvalId } = await open(makeRelease(23, freshProjectId()), 'production');
    expect((await click(approvalId, 'U01ALICE01', 'approve', 301)).status).toBe(401);
    expect((await click(approvalId, 'U01ALICE01', 'approve', -301)).status).toBe(401);
    expect((await click(approvalId, 'U01ALICE01', 'approve', 0, false)).status).toBe(401);
    expect((await record(approvalId))?.votes).toEqual({});

    const before = responses().length;
    expect((await click(approvalId, 'U01ALICE01', 'approve', -299)).status).toBe(200);
    expect((await click(approvalId, 'U01BOB0001', 'approve', 299)).status).toBe(200);
    const item = await record(approvalId);
    expect(item?.status).toBe('APPROVED');
    expect(item?.votes.alice).toMatchObject({ via: 'slack', identity: 'slack:U01ALICE01' });
    expect(successCalls()).toHaveLength(1);

    // The message is updated in place: first still open, then approved without buttons.
    const replies = responses().slice(before);
    expect(replies).toHaveLength(2);
    expect(replies[0].body.replace_original).toBe(true);
    expect(JSON.stringify(replies[0].body.blocks)).toContain('Votes: Alice approved');
    expect(JSON.stringify(replies[1].body.blocks)).toContain('Approved: root/api-gateway');
    expect(JSON.stringify(replies[1].body.blocks)).not.toContain('"type":"actions"');
  });

  it('tells a Slack user who is not an approver, privately, and records nothing', async () => {
    const { approvalId } = await open(makeRelease(24, freshProjectId()), 'production');
    const before = responses().length;
    expect((await click(approvalId, 'U01DAVE001', 'approve')).status).toBe(200);
    const reply = responses().slice(before)[0];
    expect(reply.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(String(reply.body.text)).toContain('is not an approver');
    expect((await record(approvalId))?.votes).toEqual({});
  });

  it('rejects from Slack and answers a later click on the closed request privately', async () => {
    const { approvalId } = await open(makeRelease(25, freshProjectId()), 'production');
    expect((await click(approvalId, 'U01BOB0001', 'reject')).status).toBe(200);
    expect(failureCalls()[0].args[0].input).toMatchObject({
      error: 'ApprovalRejected',
      cause: 'Rejected by Bob (@bob via Slack) (no reason given)',
    });
    const before = responses().length;
    expect((await click(approvalId, 'U01ALICE01', 'approve')).status).toBe(200);
    expect(String(responses().slice(before)[0].body.text)).toContain('already decided: rejected by Bob');
  });

  it('acknowledges without waiting for a chat webhook that hangs', async () => {
    const { approvalId } = await open(makeRelease(29, freshProjectId()), 'staging');
    const hanging = createServer(() => undefined); // accepts, never answers
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const saved = process.env.SHIPGATE_CHAT_WEBHOOK_URL;
    process.env.SHIPGATE_CHAT_WEBHOOK_URL = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/hooks/hanging-secret-path`;
    try {
      const before = responses().length;
      expect((await click(approvalId, 'U01BOB0001', 'approve')).status).toBe(200);
      expect((await record(approvalId))?.status).toBe('APPROVED');
      expect(successCalls()).toHaveLength(1);
      // The follow-up was given up (bounded), the Slack message itself was still updated.
      expect(
        suite.harness.logs.some(
          (l) => l.includes('Could not reach the chat webhook') && l.includes('TimeoutError'),
        ),
      ).toBe(true);
      expect(responses().slice(before)).toHaveLength(1);
    } finally {
      process.env.SHIPGATE_CHAT_WEBHOOK_URL = saved;
      hanging.closeAllConnections();
      await new Promise<void>((resolve) => hanging.close(() => resolve()));
    }
  });

  it('acknowledges clicks on the URL buttons without doing anything', async () => {
    const { approvalId } = await open(makeRelease(26, freshProjectId()), 'staging');
    const payload = {
      ...fixture,
      actions: [{ action_id: 'review:alice', block_id: 'review' }],
      response_url: suite.harness.responseUrl,
    };
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    const ts = Math.floor(Date.now() / 1000);
    const res = await request('/slack/interactions', {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(ts),
        'x-slack-signature': slackSignature(SECRETS.slackSigningSecret, ts, body),
      },
    });
    expect(res.status).toBe(200);
    expect((await record(approvalId))?.votes).toEqual({});
  });
});

describe('secrets and task tokens', () => {
  it('never appear in logs, chat messages, HTTP responses, step results or task outputs', () => {
    expect(issuedTokens.length).toBeGreaterThan(20);
    expect(suite.harness.logs.length).toBeGreaterThan(10);
    const haystacks = [
      ...suite.harness.logs,
      ...suite.harness.posts.map((p) => JSON.stringify(p.body)),
      ...produced,
    ];
    const needles = [
      ...issuedTokens,
      SECRETS.linkSigningKey,
      SECRETS.slackSigningSecret,
      SECRETS.chatPath,
      'unreachable-secret-path',
      'hanging-secret-path',
    ];
    const leaks = needles.flatMap((needle) =>
      haystacks
        .filter((hay) => hay.includes(needle))
        .map((hay) => `${needle.slice(0, 24)}… in ${hay.slice(0, 120)}`),
    );
    expect(leaks).toEqual([]);
  });
});
