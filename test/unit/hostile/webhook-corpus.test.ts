import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { app } from '../../../lambdas/http/app';
import { WEBHOOK_BODY_LIMIT } from '../../../lambdas/http/routes/webhooks';
import {
  FAKE_SIGNING_KEY,
  FAKE_WEBHOOK_TOKEN,
  gitlabDelivery,
  gitlabPayload,
  pipelinePayload,
  signBody,
  withField,
  type DeliveryOptions,
  type GitlabDelivery,
  type GitlabPayload,
} from '../../helpers/gitlab-deliveries';
import { installMemoryTable, type Item } from '../releases/memory-table';
import { executionArn, useTestEnvironment } from '../webhook/harness';

/**
 * The webhook's attack surface as one table: every row is a delivery an attacker (or a confused sender) could
 * make, the status Shipgate must answer, and — the point — that no execution is started. Rows run through the
 * real hono app with Step Functions and DynamoDB mocked (the in-memory table follows state across requests).
 *
 * `secret: 'signing'` rows run with a whsec_ signing key configured (signature required, token ignored);
 * the others with only the X-Gitlab-Token secret. `before` deliveries run first (and may start one execution);
 * the row asserts that the hostile delivery itself starts nothing more.
 */

const sfnMock = mockClient(SFNClient);
const ddbMock = mockClient(DynamoDBDocumentClient);
let items: Map<string, Item>;

interface Attempt {
  method?: string;
  path?: string;
  headers: Record<string, string>;
  body?: string;
}

interface Row {
  attack: string;
  /** `signing-only`: a whsec_ signing key and no webhook token configured. */
  secret?: 'token' | 'signing' | 'signing-only';
  /** Deliveries made first (legitimately). */
  before?: () => Attempt[];
  attempt: () => Attempt;
  status: number;
  /** A fragment of the answer that says what was wrong (or why it was ignored). */
  says: RegExp;
  /** Executions the attempt itself starts (the legitimate controls of a family start one). @default 0 */
  starts?: number;
}

const now = () => Math.floor(Date.now() / 1000);
const deliver = (payload: object | string, options: DeliveryOptions = {}): GitlabDelivery =>
  gitlabDelivery(payload, { token: FAKE_WEBHOOK_TOKEN, ...options });
const signed = (payload: object | string, options: DeliveryOptions = {}): GitlabDelivery =>
  gitlabDelivery(payload, { signingKey: FAKE_SIGNING_KEY, ...options });
const withToken = (token: string | undefined): Attempt =>
  gitlabDelivery(gitlabPayload('pipeline_success'), { token });
const OTHER_KEY = `whsec_${Buffer.from('an-attacker-guessed-signing-key!').toString('base64')}`;
const pipelineWith = (path: string, value: unknown): GitlabPayload =>
  withField(gitlabPayload('pipeline_success'), path, value);

/** Nested arrays `depth` deep under a field of a real pipeline payload. */
function deeplyNested(depth: number): string {
  const body = JSON.stringify(gitlabPayload('pipeline_success'));
  return `${body.slice(0, -1)},"x":${'['.repeat(depth)}${']'.repeat(depth)}}`;
}

const CORPUS: Row[] = [
  // --- Authentication: X-Gitlab-Token ---
  {
    attack: 'no X-Gitlab-Token',
    attempt: () => withToken(undefined),
    status: 401,
    says: /Missing X-Gitlab-Token/,
  },
  {
    attack: 'empty X-Gitlab-Token',
    attempt: () => ({
      ...withToken(undefined),
      headers: { ...withToken(undefined).headers, 'X-Gitlab-Token': '' },
    }),
    status: 401,
    says: /Missing X-Gitlab-Token/,
  },
  {
    attack: 'wrong token of the same length',
    attempt: () => withToken(`${FAKE_WEBHOOK_TOKEN.slice(0, -1)}X`),
    status: 401,
    says: /does not match/,
  },
  {
    attack: 'token prefix (shorter)',
    attempt: () => withToken(FAKE_WEBHOOK_TOKEN.slice(0, 8)),
    status: 401,
    says: /does not match/,
  },
  {
    attack: 'token with a suffix (longer)',
    attempt: () => withToken(`${FAKE_WEBHOOK_TOKEN}x`),
    status: 401,
    says: /does not match/,
  },
  {
    attack: 'token padded with base64 "=" padding',
    attempt: () => withToken(`${FAKE_WEBHOOK_TOKEN}==`),
    status: 401,
    says: /does not match/,
  },
  {
    attack: 'token padded with an encoded NUL',
    attempt: () => withToken(`${FAKE_WEBHOOK_TOKEN}%00`),
    status: 401,
    says: /does not match/,
  },
  {
    attack: 'token in another case',
    attempt: () => withToken(FAKE_WEBHOOK_TOKEN.toUpperCase()),
    status: 401,
    says: /does not match/,
  },
  {
    attack: 'token in the query string instead of the header',
    attempt: () => ({ ...withToken(undefined), path: `/webhooks/gitlab?token=${FAKE_WEBHOOK_TOKEN}` }),
    status: 401,
    says: /Missing X-Gitlab-Token/,
  },
  {
    attack: 'token as a body field instead of the header',
    attempt: () => deliver(pipelineWith('token', FAKE_WEBHOOK_TOKEN), { token: undefined }),
    status: 401,
    says: /Missing X-Gitlab-Token/,
  },
  // --- Authentication: Standard Webhooks signatures (signing key configured) ---
  {
    attack: 'right X-Gitlab-Token but no signature when a signing key is configured',
    secret: 'signing',
    attempt: () => deliver(gitlabPayload('pipeline_success')),
    status: 401,
    says: /signed delivery is required/,
  },
  {
    attack: 'signature made with another key',
    secret: 'signing',
    attempt: () => gitlabDelivery(gitlabPayload('pipeline_success'), { signingKey: OTHER_KEY }),
    status: 401,
    says: /webhook-signature does not match/,
  },
  {
    attack: 'stale signature (timestamp 10 minutes old)',
    secret: 'signing',
    attempt: () => signed(gitlabPayload('pipeline_success'), { timestamp: now() - 600 }),
    status: 401,
    says: /s in the past/,
  },
  {
    attack: 'future signature (timestamp 10 minutes ahead)',
    secret: 'signing',
    attempt: () => signed(gitlabPayload('pipeline_success'), { timestamp: now() + 600 }),
    status: 401,
    says: /s in the future/,
  },
  {
    attack: 'timestamp that is not Unix seconds',
    secret: 'signing',
    attempt: () => {
      const d = signed(gitlabPayload('pipeline_success'));
      return { ...d, headers: { ...d.headers, 'webhook-timestamp': `${now()}.5` } };
    },
    status: 401,
    says: /is not Unix seconds/,
  },
  {
    attack: 'garbage v1 signature',
    secret: 'signing',
    attempt: () => {
      const d = signed(gitlabPayload('pipeline_success'));
      return { ...d, headers: { ...d.headers, 'webhook-signature': 'v1,AAAA v1,not-base64!!' } };
    },
    status: 401,
    says: /webhook-signature does not match/,
  },
  {
    attack: 'valid signature, body changed after signing (ref rewritten)',
    secret: 'signing',
    attempt: () => {
      const d = signed(gitlabPayload('pipeline_success'));
      return { ...d, body: d.body.replace('"ref":"main"', '"ref":"prod"') };
    },
    status: 401,
    says: /webhook-signature does not match/,
  },
  {
    attack: 'replayed webhook-id, timestamp and signature with a different body',
    secret: 'signing',
    before: () => [signed(gitlabPayload('pipeline_success'), { idempotencyKey: 'replay-me' })],
    attempt: () => {
      const original = signed(gitlabPayload('pipeline_success'), { idempotencyKey: 'replay-me' });
      return { ...original, body: JSON.stringify(pipelinePayload({ id: 66601 })) };
    },
    status: 401,
    says: /webhook-signature does not match/,
  },
  {
    attack: 'signature over the same body but another webhook-id (id swapped to dodge dedupe)',
    secret: 'signing',
    attempt: () => {
      const d = signed(gitlabPayload('pipeline_success'), { idempotencyKey: 'id-one' });
      return { ...d, headers: { ...d.headers, 'webhook-id': 'id-two' } };
    },
    status: 401,
    says: /webhook-signature does not match/,
  },
  (() => {
    let original: GitlabDelivery | undefined;
    const once = () =>
      (original ??= signed(pipelinePayload({ id: 66603 }), { idempotencyKey: 'exact-replay' }));
    return {
      attack: 'exact replay of a signed delivery within the tolerance (same id, timestamp, signature, body)',
      secret: 'signing' as const,
      before: () => [once()],
      attempt: once,
      status: 202,
      says: /"executionArn":"[^"]+inventory-app-p66603-/,
    };
  })(),
  (() => {
    let original: GitlabDelivery | undefined;
    const once = () =>
      (original ??= deliver(pipelinePayload({ id: 66604 }), { idempotencyKey: 'token-replay' }));
    return {
      attack: 'exact replay of a token delivery (same Idempotency-Key and body)',
      before: () => [once()],
      attempt: once,
      status: 202,
      says: /"executionArn":"[^"]+inventory-app-p66604-/,
    };
  })(),
  // --- Authentication: X-Gitlab-Token and signature both sent (issue 22): both must be right ---
  {
    attack: 'control: valid signature and the right X-Gitlab-Token',
    secret: 'signing',
    attempt: () => signed(pipelinePayload({ id: 66610 }), { token: FAKE_WEBHOOK_TOKEN }),
    status: 202,
    says: /"executionArn":"[^"]+inventory-app-p66610-/,
    starts: 1,
  },
  {
    attack: 'valid signature with a wrong X-Gitlab-Token (misconfigured or leaked hook)',
    secret: 'signing',
    attempt: () => signed(pipelinePayload({ id: 66611 }), { token: `${FAKE_WEBHOOK_TOKEN.slice(0, -1)}X` }),
    status: 401,
    says: /signature is valid but X-Gitlab-Token does not match/,
  },
  {
    attack: 'right X-Gitlab-Token with a signature made with another key',
    secret: 'signing',
    attempt: () =>
      gitlabDelivery(pipelinePayload({ id: 66612 }), { signingKey: OTHER_KEY, token: FAKE_WEBHOOK_TOKEN }),
    status: 401,
    says: /webhook-signature does not match/,
  },
  {
    attack: 'wrong X-Gitlab-Token and a signature made with another key',
    secret: 'signing',
    attempt: () => gitlabDelivery(pipelinePayload({ id: 66613 }), { signingKey: OTHER_KEY, token: 'guess' }),
    status: 401,
    says: /webhook-signature does not match/,
  },
  {
    attack: 'valid signature with an empty X-Gitlab-Token',
    secret: 'signing',
    attempt: () => signed(pipelinePayload({ id: 66614 }), { token: '' }),
    status: 401,
    says: /X-Gitlab-Token does not match/,
  },
  {
    attack: 'control: valid signature and no X-Gitlab-Token (hook without a secret token)',
    secret: 'signing',
    attempt: () => signed(pipelinePayload({ id: 66615 })),
    status: 202,
    says: /"executionArn":"[^"]+inventory-app-p66615-/,
    starts: 1,
  },
  {
    attack: 'valid signature with an X-Gitlab-Token Shipgate has no token to check against',
    secret: 'signing-only',
    attempt: () => signed(pipelinePayload({ id: 66616 }), { token: FAKE_WEBHOOK_TOKEN }),
    status: 401,
    says: /no webhook token to check it against/,
  },
  // --- Body and framing ---
  {
    attack: 'invalid JSON',
    attempt: () => deliver('{"object_kind": pipeline}', { event: 'Pipeline Hook' }),
    status: 400,
    says: /not valid JSON/,
  },
  {
    attack: 'truncated body',
    attempt: () =>
      deliver(JSON.stringify(gitlabPayload('pipeline_success')).slice(0, 300), { event: 'Pipeline Hook' }),
    status: 400,
    says: /not valid JSON/,
  },
  {
    attack: 'JSON array instead of an object',
    attempt: () => deliver('[{"object_kind":"pipeline"}]', { event: 'Pipeline Hook' }),
    status: 400,
    says: /an array/,
  },
  {
    attack: 'Content-Type text/plain',
    attempt: () => deliver(gitlabPayload('pipeline_success'), { contentType: 'text/plain' }),
    status: 415,
    says: /Content-Type must be application\/json/,
  },
  {
    attack: 'form-encoded body',
    attempt: () =>
      deliver(`payload=${encodeURIComponent(JSON.stringify(gitlabPayload('pipeline_success')))}`, {
        contentType: 'application/x-www-form-urlencoded',
        event: 'Pipeline Hook',
      }),
    status: 415,
    says: /Content-Type must be application\/json/,
  },
  {
    attack: 'X-Gitlab-Event says Push Hook, body is a pipeline',
    attempt: () => deliver(gitlabPayload('pipeline_success'), { event: 'Push Hook' }),
    status: 400,
    says: /does not match the body's object_kind "pipeline"/,
  },
  {
    attack: 'no X-Gitlab-Event header',
    attempt: () => deliver(gitlabPayload('pipeline_success'), { event: null }),
    status: 400,
    says: /Missing X-Gitlab-Event header/,
  },
  {
    attack: 'no X-Gitlab-Event header on a validly signed delivery',
    secret: 'signing',
    attempt: () => signed(gitlabPayload('pipeline_success'), { event: null }),
    status: 400,
    says: /Missing X-Gitlab-Event header/,
  },
  {
    attack: 'X-Gitlab-Event of only whitespace',
    attempt: () =>
      deliver(gitlabPayload('pipeline_success'), { event: null, headers: { 'X-Gitlab-Event': ' \t ' } }),
    status: 400,
    says: /Missing X-Gitlab-Event header/,
  },
  {
    attack: 'X-Gitlab-Event that GitLab never sends ("Pipeline")',
    attempt: () => deliver(gitlabPayload('pipeline_success'), { event: 'Pipeline' }),
    status: 400,
    says: /Unknown X-Gitlab-Event "Pipeline"/,
  },
  {
    attack: 'body over the 4 MiB limit',
    attempt: () => {
      const d = deliver(gitlabPayload('pipeline_success'));
      const padding = 'x'.repeat(WEBHOOK_BODY_LIMIT);
      return { ...d, body: `${d.body.slice(0, -1)},"padding":"${padding}"}` };
    },
    status: 413,
    says: /over Shipgate's webhook limit/,
  },
  {
    attack: 'Content-Length announcing more than the limit',
    attempt: () => {
      const d = deliver(gitlabPayload('pipeline_success'));
      return { ...d, headers: { ...d.headers, 'Content-Length': String(WEBHOOK_BODY_LIMIT + 1) } };
    },
    status: 413,
    says: /over Shipgate's webhook limit/,
  },
  {
    attack: 'JSON nested 100,000 levels deep',
    attempt: () => deliver(deeplyNested(100_000), { event: 'Pipeline Hook' }),
    status: 400,
    says: /nested more than/,
  },
  {
    attack: 'commit SHA that is not 40 hex characters',
    attempt: () => deliver(pipelineWith('object_attributes.sha', 'HEAD~1; rm -rf /')),
    status: 400,
    says: /40-character hexadecimal commit SHA/,
  },
  // --- Unicode tricks in project paths and refs ---
  {
    attack: 'homoglyph project path (Cyrillic "а" in inventory-аpp)',
    attempt: () => deliver(pipelineWith('project.path_with_namespace', 'root/inventory-\u0430pp')),
    status: 200,
    says: /project root\/inventory-\u0430pp is not configured/,
  },
  {
    attack: 'RTL override in the project path',
    attempt: () => deliver(pipelineWith('project.path_with_namespace', 'root/\u202Eppa-yrotnevni')),
    status: 200,
    says: /is not configured in Shipgate/,
  },
  {
    attack: 'zero-width space inside the project path',
    attempt: () => deliver(pipelineWith('project.path_with_namespace', 'root/inventory\u200B-app')),
    status: 200,
    says: /is not configured in Shipgate/,
  },
  {
    attack: 'NUL byte in the project path',
    attempt: () => deliver(pipelineWith('project.path_with_namespace', 'root/inventory-app\u0000')),
    status: 200,
    says: /is not configured in Shipgate/,
  },
  {
    attack: 'ref "main\\u0000" (NUL after the branch name)',
    attempt: () => deliver(pipelinePayload({ ref: 'main\u0000' })),
    status: 200,
    says: /releases from main/,
  },
  {
    attack: 'ref with a Cyrillic homoglyph ("mаin")',
    attempt: () => deliver(pipelinePayload({ ref: 'm\u0430in' })),
    status: 200,
    says: /releases from main/,
  },
  {
    attack: 'ref with a trailing space ("main ")',
    attempt: () => deliver(pipelinePayload({ ref: 'main ' })),
    status: 200,
    says: /releases from main/,
  },
  {
    attack: 'ref "refs/heads/main/../evil"',
    attempt: () => deliver(pipelinePayload({ ref: 'refs/heads/main/../evil' })),
    status: 200,
    says: /releases from main/,
  },
  {
    attack: 'tag pipeline whose tag is named "refs/heads/main" (project without a tag pattern)',
    attempt: () => deliver(pipelinePayload({ ref: 'refs/heads/main', tag: true })),
    status: 200,
    says: /has no release.tags pattern/,
  },
  // --- Authentic deliveries that must not release ---
  {
    attack: 'branch deletion push',
    attempt: () => deliver(gitlabPayload('push_branch_delete')),
    status: 200,
    says: /deletions never release/,
  },
  {
    attack: 'tag deletion push',
    attempt: () => deliver(gitlabPayload('tag_push_delete')),
    status: 200,
    says: /deletions never release/,
  },
  {
    attack: 'merge request pipeline',
    attempt: () => deliver(gitlabPayload('pipeline_merge_request')),
    status: 200,
    says: /merge request pipeline/,
  },
  {
    attack: 'merge request pipeline disguised as a push pipeline (merge_request object present)',
    attempt: () => deliver(withField(pipelinePayload({ source: 'push' }), 'merge_request', { iid: 7 })),
    status: 200,
    says: /merge request pipeline/,
  },
  {
    attack: 'pipeline on a non-protected release branch (requireProtected)',
    attempt: () =>
      deliver(
        withField(
          withField(
            pipelinePayload({ protected_ref: false }),
            'project.path_with_namespace',
            'root/billing-app',
          ),
          'project.id',
          13,
        ),
      ),
    status: 200,
    says: /reports as unprotected/,
  },
  {
    attack: 'pipeline on a feature branch',
    attempt: () => deliver(pipelinePayload({ ref: 'feature/drop-tables' })),
    status: 200,
    says: /releases from main/,
  },
  {
    attack: 'project not in the config',
    attempt: () => deliver(pipelineWith('project.path_with_namespace', 'attacker/inventory-app')),
    status: 200,
    says: /is not configured in Shipgate/,
  },
  {
    attack: 'tag not matching release.tags (v1.4.0-rc1 against ^v\\d+\\.\\d+\\.\\d+$)',
    attempt: () => {
      const payload = gitlabPayload('pipeline_tag_success');
      withField(payload, 'object_attributes.ref', 'v1.4.0-rc1');
      return deliver(payload);
    },
    status: 200,
    says: /does not match release.tags/,
  },
  {
    attack: 'tag with a newline after a matching version ("v1.4.0\\nevil")',
    attempt: () => {
      const payload = gitlabPayload('pipeline_tag_success');
      withField(payload, 'object_attributes.ref', 'v1.4.0\nevil');
      return deliver(payload);
    },
    status: 200,
    says: /does not match release.tags/,
  },
  {
    attack: 'running pipeline',
    attempt: () => deliver(pipelinePayload({ status: 'running' })),
    status: 200,
    says: /status is running/,
  },
  {
    attack: 'child pipeline',
    attempt: () => deliver(pipelinePayload({ source: 'parent_pipeline' })),
    status: 200,
    says: /child pipeline/,
  },
  {
    attack: 'GET instead of POST',
    attempt: () => ({ ...deliver(gitlabPayload('pipeline_success')), method: 'GET', body: undefined }),
    status: 405,
    says: /GitLab delivers with POST/,
  },
];

async function send(a: Attempt): Promise<{ status: number; text: string; message: string }> {
  const res = await app.request(a.path ?? '/webhooks/gitlab', {
    method: a.method ?? 'POST',
    headers: a.headers,
    body: a.body,
  });
  const text = await res.text();
  let message = text;
  try {
    const json = JSON.parse(text) as { error?: string; ignored?: string };
    message = json.error ?? json.ignored ?? text;
  } catch {
    // not JSON: match the raw text
  }
  return { status: res.status, text, message };
}

beforeEach(() => {
  sfnMock.reset();
  ddbMock.reset();
  items = installMemoryTable(ddbMock);
  sfnMock.on(StartExecutionCommand).callsFake((input: { name: string }) => ({
    executionArn: executionArn(input.name),
    startDate: new Date('2026-11-22T00:00:00Z'),
  }));
});

describe('hostile webhook corpus: every variant answers its status and starts no execution (controls: one)', () => {
  it('has at least 25 variants, each named once', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(25);
    expect(new Set(CORPUS.map((r) => r.attack)).size).toBe(CORPUS.length);
  });

  it.each(CORPUS.map((row) => [row.attack, row] as const))('%s', async (_name, row) => {
    useTestEnvironment(
      row.secret === 'signing'
        ? { token: FAKE_WEBHOOK_TOKEN, signingKey: FAKE_SIGNING_KEY }
        : row.secret === 'signing-only'
          ? { signingKey: FAKE_SIGNING_KEY }
          : { token: FAKE_WEBHOOK_TOKEN },
    );
    for (const legit of row.before?.() ?? []) expect((await send(legit)).status).toBe(202);
    const startedBefore = sfnMock.commandCalls(StartExecutionCommand).length;
    const releasesBefore = [...items.keys()].filter((k) => k.startsWith('RELEASE#')).length;

    const answer = await send(row.attempt());

    expect({ status: answer.status, says: answer.message }).toEqual({
      status: row.status,
      says: expect.stringMatching(row.says),
    });
    const starts = row.starts ?? 0;
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(startedBefore + starts);
    expect([...items.keys()].filter((k) => k.startsWith('RELEASE#'))).toHaveLength(releasesBefore + starts);
    // A refusal never echoes a secret back.
    expect(answer.text).not.toContain(FAKE_WEBHOOK_TOKEN);
    expect(answer.text).not.toContain(FAKE_SIGNING_KEY.slice(6));
  });
});

describe('hostile webhook corpus: the boundaries of the rows above', () => {
  it('the untouched delivery of every refused row family starts exactly one execution (the rows test the attack, not a broken fixture)', async () => {
    useTestEnvironment({ token: FAKE_WEBHOOK_TOKEN });
    expect((await send(deliver(gitlabPayload('pipeline_success')))).status).toBe(202);
    useTestEnvironment({ token: FAKE_WEBHOOK_TOKEN, signingKey: FAKE_SIGNING_KEY });
    expect((await send(signed(pipelinePayload({ id: 4712 })))).status).toBe(202);
    useTestEnvironment({ token: FAKE_WEBHOOK_TOKEN });
    expect((await send(deliver(gitlabPayload('pipeline_tag_success')))).status).toBe(202);
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 3);
  });

  it('a signature recomputed by the holder of the key over the new body is accepted (the replay row fails only on the body)', async () => {
    useTestEnvironment({ token: FAKE_WEBHOOK_TOKEN, signingKey: FAKE_SIGNING_KEY });
    const body = JSON.stringify(pipelinePayload({ id: 66602 }));
    const ts = now();
    const d = signed(body, { idempotencyKey: 'fresh-id', event: 'Pipeline Hook', timestamp: ts });
    expect(d.headers['webhook-signature']).toBe(signBody(FAKE_SIGNING_KEY, 'fresh-id', ts, body));
    expect((await send(d)).status).toBe(202);
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
  });

  it('"refs/heads/main" as a pipeline ref is the main branch (normalised, one execution), not a bypass or a second release', async () => {
    useTestEnvironment({ token: FAKE_WEBHOOK_TOKEN });
    const short = await send(deliver(gitlabPayload('pipeline_success')));
    const long = await send(deliver(pipelinePayload({ ref: 'refs/heads/main' })));
    expect([short.status, long.status]).toEqual([202, 202]);
    expect(JSON.parse(long.text).release).toBe(JSON.parse(short.text).release);
    expect(new Set(sfnMock.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name)).size).toBe(
      1,
    );
  });
});
