import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { app, FORM_BODY_LIMIT } from '../../../lambdas/http/app';
import { WEBHOOK_BODY_LIMIT, withDeadline } from '../../../lambdas/http/routes/webhooks';
import type { ReleaseInput } from '../../../lambdas/shared/release';
import {
  deliveryInit,
  FAKE_SIGNING_KEY,
  FAKE_WEBHOOK_TOKEN,
  gitlabDelivery,
  gitlabPayload,
  pipelinePayload,
  withField,
  type DeliveryOptions,
  type GitlabFixture,
} from '../../helpers/gitlab-deliveries';
import { installMemoryTable, type Item } from '../releases/memory-table';
import { executionArn, STATE_MACHINE_ARN, useTestEnvironment } from './harness';

const sfnMock = mockClient(SFNClient);
const ddbMock = mockClient(DynamoDBDocumentClient);
let items: Map<string, Item>;

const RELEASE_ID = 'inventory-app-p4711-1a2b3c4d5e6f';
const startDate = new Date('2026-11-22T00:00:01Z');

beforeEach(() => {
  sfnMock.reset();
  ddbMock.reset();
  items = installMemoryTable(ddbMock);
  useTestEnvironment();
  sfnMock.on(StartExecutionCommand).callsFake((input: { name: string }) => ({
    executionArn: executionArn(input.name),
    startDate,
  }));
});

function post(payload: object | string, options: DeliveryOptions = {}) {
  return app.request(
    '/webhooks/gitlab',
    deliveryInit(gitlabDelivery(payload, { token: FAKE_WEBHOOK_TOKEN, ...options })),
  );
}

async function json(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}

describe('POST /webhooks/gitlab: starting a release', () => {
  it('answers 202 with release, execution and executionArn for a successful pipeline on the default branch', async () => {
    const res = await post(gitlabPayload('pipeline_success'));
    expect(res.status).toBe(202);
    expect(await json(res)).toEqual({
      release: RELEASE_ID,
      execution: RELEASE_ID,
      executionArn: executionArn(RELEASE_ID),
      links: {
        release: `https://shipgate.example.test/api/releases/${RELEASE_ID}`,
        execution: expect.stringContaining(encodeURIComponent(executionArn(RELEASE_ID))),
      },
    });
  });

  it('starts exactly one execution with a deterministic name and the release input', async () => {
    await post(gitlabPayload('pipeline_success'));
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    const call = sfnMock.commandCalls(StartExecutionCommand)[0].args[0].input;
    expect(call.stateMachineArn).toBe(STATE_MACHINE_ARN);
    expect(call.name).toBe(RELEASE_ID);
    const input = JSON.parse(call.input!) as ReleaseInput;
    expect(input.release).toMatchObject({
      id: RELEASE_ID,
      project: { id: 12, path: 'root/inventory-app', webUrl: 'http://192.168.56.11/root/inventory-app' },
      commit: { sha: '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d', title: 'Add stock reservation endpoint' },
      ref: 'main',
      tag: false,
      pipeline: { id: 4711, url: 'http://192.168.56.11/root/inventory-app/-/pipelines/4711' },
      triggeredBy: { username: 'dana' },
      services: ['inventory-app'],
      environments: ['staging', 'production'],
      deliveryId: 'gitlab:12:pipeline:4711:success',
      createdAt: '2026-11-21T23:58:41.000Z',
    });
  });

  it('records the release as RUNNING so the releases API shows it at once', async () => {
    await post(gitlabPayload('pipeline_success'));
    const res = await app.request(`/api/releases/${RELEASE_ID}`);
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ id: RELEASE_ID, status: 'RUNNING', ref: 'main' });
    expect(items.get(`RELEASE#${RELEASE_ID}|RELEASE`)).toMatchObject({ gsi1pk: 'RELEASES' });
  });

  it('starts a tag pipeline whose tag matches release.tags', async () => {
    const res = await post(gitlabPayload('pipeline_tag_success'));
    expect(res.status).toBe(202);
    expect((await json(res)).release).toBe('billing-app-p4720-5e6f708192a3');
    const input = JSON.parse(
      sfnMock.commandCalls(StartExecutionCommand)[0].args[0].input.input!,
    ) as ReleaseInput;
    expect(input.release).toMatchObject({ ref: 'v1.4.0', tag: true, services: ['billing-app'] });
  });

  it('accepts application/json with a charset parameter', async () => {
    const res = await post(gitlabPayload('pipeline_success'), {
      contentType: 'application/json; charset=utf-8',
    });
    expect(res.status).toBe(202);
  });

  it('treats a missing protected_ref (older GitLab) as unknown and lets the branch rule decide', async () => {
    const res = await post(pipelinePayload({ protected_ref: undefined }));
    expect(res.status).toBe(202);
  });
});

describe('POST /webhooks/gitlab: redelivery and idempotency', () => {
  it('answers a redelivery (same Idempotency-Key) with the same 202 and starts nothing new', async () => {
    const first = await post(gitlabPayload('pipeline_success'), {
      idempotencyKey: 'b2f0c6a4-0d1e-4c55-9a61-7f1d2b8e9c01',
    });
    const second = await post(gitlabPayload('pipeline_success'), {
      idempotencyKey: 'b2f0c6a4-0d1e-4c55-9a61-7f1d2b8e9c01',
    });
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(await json(second)).toEqual(await json(first));
    expect(second.headers.get('X-Shipgate-Replayed')).toBe('true');
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
  });

  it('answers concurrent deliveries of one event alike, with one execution name and one input', async () => {
    const answers = await Promise.all(
      ['k1', 'k1', 'k2', 'k3', 'k3'].map((key) =>
        post(gitlabPayload('pipeline_success'), { idempotencyKey: key }),
      ),
    );
    const bodies = await Promise.all(answers.map((r) => r.text()));
    expect(answers.map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);
    expect(new Set(bodies).size).toBe(1);
    // However many calls raced past the delivery check, Step Functions sees one name with one input, which
    // it answers with one execution.
    const calls = sfnMock
      .commandCalls(StartExecutionCommand)
      .map((c) => `${c.args[0].input.name}|${c.args[0].input.input}`);
    expect(new Set(calls).size).toBe(1);
    expect([...items.keys()].filter((k) => k.startsWith('RELEASE#'))).toHaveLength(1);
  });

  it('does not answer another event from a reused Idempotency-Key', async () => {
    await post(gitlabPayload('pipeline_success'), { idempotencyKey: 'reused' });
    const other = await post(pipelinePayload({ id: 4799 }), { idempotencyKey: 'reused' });
    expect(other.status).toBe(202);
    expect((await json(other)).release).toBe('inventory-app-p4799-1a2b3c4d5e6f');
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 2);
  });

  it('dedupes on webhook-id when GitLab sends no Idempotency-Key', async () => {
    useTestEnvironment({ signingKey: FAKE_SIGNING_KEY });
    const one = gitlabDelivery(gitlabPayload('pipeline_success'), {
      idempotencyKey: null,
      signingKey: FAKE_SIGNING_KEY,
    });
    const first = await app.request('/webhooks/gitlab', deliveryInit(one));
    const again = await app.request('/webhooks/gitlab', deliveryInit(one));
    expect([first.status, again.status]).toEqual([202, 202]);
    expect(await json(again)).toEqual(await json(first));
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect([...items.keys()].some((k) => k.startsWith('DELIVERY#whid:'))).toBe(true);
  });

  it('dedupes on the event itself when neither Idempotency-Key nor webhook-id is sent', async () => {
    await post(gitlabPayload('pipeline_success'), { idempotencyKey: null });
    const again = await post(gitlabPayload('pipeline_success'), { idempotencyKey: null });
    expect(again.status).toBe(202);
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect(items.has('DELIVERY#event:gitlab:12:pipeline:4711:success|DELIVERY')).toBe(true);
  });

  it('answers the same execution when the same event arrives under another key after the execution finished', async () => {
    await post(gitlabPayload('pipeline_success'));
    const startedInput = sfnMock.commandCalls(StartExecutionCommand)[0].args[0].input.input!;
    sfnMock.on(StartExecutionCommand).rejects(
      new ExecutionAlreadyExists({
        message: `Execution Already Exists: '${executionArn(RELEASE_ID)}'`,
        $metadata: {},
      }),
    );
    sfnMock.on(DescribeExecutionCommand).resolves({
      executionArn: executionArn(RELEASE_ID),
      status: 'SUCCEEDED',
      input: startedInput,
      startDate,
      stateMachineArn: STATE_MACHINE_ARN,
    });
    const res = await post(gitlabPayload('pipeline_success'));
    expect(res.status).toBe(202);
    expect((await json(res)).executionArn).toBe(executionArn(RELEASE_ID));
  });

  it('answers 409 when the execution name exists with a different input', async () => {
    sfnMock
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    sfnMock.on(DescribeExecutionCommand).resolves({
      executionArn: executionArn(RELEASE_ID),
      status: 'RUNNING',
      input: JSON.stringify({ release: { id: RELEASE_ID, createdAt: '2026-11-20T10:00:00.000Z' } }),
      startDate,
      stateMachineArn: STATE_MACHINE_ARN,
    });
    const res = await post(gitlabPayload('pipeline_success'));
    expect(res.status).toBe(409);
    expect((await json(res)).error).toMatch(
      /already exists with a different input.*pipeline 4711 of root\/inventory-app/s,
    );
  });

  it('retries a throttled StartExecution and still starts one execution', async () => {
    sfnMock
      .on(StartExecutionCommand)
      .rejectsOnce(
        Object.assign(new Error('Rate exceeded'), {
          name: 'ThrottlingException',
          $metadata: { httpStatusCode: 400 },
        }),
      )
      .rejectsOnce(
        Object.assign(new Error('Service Unavailable'), {
          name: 'ServiceUnavailable',
          $metadata: { httpStatusCode: 503 },
        }),
      )
      .resolves({ executionArn: executionArn(RELEASE_ID), startDate });
    const res = await post(gitlabPayload('pipeline_success'));
    expect(res.status).toBe(202);
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 3);
    const names = new Set(sfnMock.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name));
    const inputs = new Set(sfnMock.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.input));
    expect([names.size, inputs.size]).toEqual([1, 1]);
  });

  it('does not fail a running release when a later delivery of it cannot reach Step Functions', async () => {
    await post(gitlabPayload('pipeline_success'), { idempotencyKey: 'first' });
    sfnMock.on(StartExecutionCommand).rejects(
      Object.assign(new Error('Access denied'), {
        name: 'AccessDeniedException',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const res = await post(gitlabPayload('pipeline_success'), { idempotencyKey: 'second' });
    expect(res.status).toBe(503);
    expect(items.get(`RELEASE#${RELEASE_ID}|RELEASE`)).toMatchObject({ status: 'RUNNING' });
  });

  it('answers 503 (never 2xx) and marks the release FAILED when Step Functions keeps refusing, and a resend recovers', async () => {
    sfnMock.on(StartExecutionCommand).rejects(
      Object.assign(new Error('State machine is being deleted'), {
        name: 'StateMachineDeleting',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const res = await post(gitlabPayload('pipeline_success'), { idempotencyKey: 'resend-me' });
    expect(res.status).toBe(503);
    expect((await json(res)).error).toMatch(
      /Could not start execution inventory-app-p4711-1a2b3c4d5e6f after 1 attempt.*resent from GitLab/,
    );
    expect(items.get(`RELEASE#${RELEASE_ID}|RELEASE`)).toMatchObject({
      status: 'FAILED',
      error: { error: 'StartExecutionFailed' },
    });
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: executionArn(RELEASE_ID), startDate });
    const resend = await post(gitlabPayload('pipeline_success'), { idempotencyKey: 'resend-me' });
    expect(resend.status).toBe(202);
    expect(items.get(`RELEASE#${RELEASE_ID}|RELEASE`)).toMatchObject({ status: 'RUNNING' });
    expect(items.get(`RELEASE#${RELEASE_ID}|RELEASE`)?.error).toBeUndefined();
  });
});

describe('POST /webhooks/gitlab: authentic deliveries that trigger nothing answer 200 {ignored}', () => {
  const cases: Array<[string, GitlabFixture | (() => object), RegExp]> = [
    ['a failed pipeline', 'pipeline_failed', /pipeline 4712 status is failed; only success releases/],
    ['a running pipeline', 'pipeline_running', /pipeline 4713 status is running; only success releases/],
    ['a merge request pipeline', 'pipeline_merge_request', /merge request pipeline \(!42\)/],
    [
      'a pipeline on a branch GitLab reports as unprotected',
      () => pipelinePayload({ protected_ref: false }),
      /unprotected; protect it in GitLab or set release.requireProtected: false/,
    ],
    [
      'a pipeline on another branch',
      () => pipelinePayload({ ref: 'feature/stock-reservation' }),
      /ran on branch feature\/stock-reservation; root\/inventory-app releases from main \(its default branch\)/,
    ],
    [
      'a tag pipeline whose tag does not match release.tags',
      () => pipelinePayload({ ref: 'nightly-2026-11-21' }, 'pipeline_tag_success'),
      /tag nightly-2026-11-21, which does not match release.tags/,
    ],
    [
      'a tag pipeline of a project without release.tags',
      () =>
        withField(
          pipelinePayload({ ref: 'v1.4.0', tag: true }),
          'project.path_with_namespace',
          'root/api-gateway',
        ),
      /root\/api-gateway has no release.tags pattern/,
    ],
    [
      'a push',
      'push',
      /push to branch main \(1 commit\): Shipgate releases when the pipeline for it succeeds/,
    ],
    ['a branch deletion', 'push_branch_delete', /branch feature\/stock-reservation was deleted/],
    ['a tag push', 'tag_push', /tag v1\.4\.0 was pushed/],
    ['a tag deletion', 'tag_push_delete', /tag v1\.3\.9 was deleted/],
    [
      'a merge request',
      'merge_request_open',
      /merge request !42 \(open, feature\/stock-reservation → main\)/,
    ],
    ['a job', 'job', /job 9102 \(unit-tests\) status is success/],
    ['a deployment', 'deployment', /deployment 77 to staging is success/],
    ['a release', 'release', /release v1\.4\.0 \(create\)/],
    [
      'a pipeline of a project Shipgate does not know',
      () => withField(gitlabPayload('pipeline_success'), 'project.path_with_namespace', 'root/unknown-app'),
      /project root\/unknown-app is not configured in Shipgate/,
    ],
  ];
  it.each(cases)('%s', async (_label, fixture, reason) => {
    const payload = typeof fixture === 'function' ? fixture() : gitlabPayload(fixture);
    const res = await post(payload);
    expect(res.status).toBe(200);
    expect((await json(res)).ignored).toMatch(reason);
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
  });

  it('ignores GitLab event kinds Shipgate does not read (Note Hook)', async () => {
    const res = await post({ object_kind: 'note', event_type: 'note', project: { id: 12 } });
    expect(res.status).toBe(200);
    expect((await json(res)).ignored).toMatch(/note events never start a release/);
  });

  it('accepts a System Hook delivery of a push and ignores it', async () => {
    const res = await post(gitlabPayload('push'), { event: 'System Hook' });
    expect(res.status).toBe(200);
    expect((await json(res)).ignored).toMatch(/push to branch main/);
  });
});

describe('POST /webhooks/gitlab: authentication', () => {
  it('accepts the right X-Gitlab-Token', async () => {
    expect((await post(gitlabPayload('push'))).status).toBe(200);
  });

  it('answers 401 for a wrong token, without starting anything', async () => {
    const res = await post(gitlabPayload('pipeline_success'), {
      token: 'test-only-gitlab-token-not-a-secreX',
    });
    expect(res.status).toBe(401);
    expect((await json(res)).error).toMatch(/X-Gitlab-Token does not match/);
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
  });

  it('answers 401 for a missing token', async () => {
    const res = await app.request('/webhooks/gitlab', deliveryInit(gitlabDelivery(gitlabPayload('push'))));
    expect(res.status).toBe(401);
    expect((await json(res)).error).toMatch(/Missing X-Gitlab-Token/);
  });

  it.each([
    ['longer', `${FAKE_WEBHOOK_TOKEN}-and-more`],
    ['shorter', FAKE_WEBHOOK_TOKEN.slice(0, 5)],
    ['padded with trailing characters', `${FAKE_WEBHOOK_TOKEN}\u00a0\u00a0`],
    ['zero-padded', `${FAKE_WEBHOOK_TOKEN}0000`],
    ['a prefix of it', FAKE_WEBHOOK_TOKEN.slice(0, -1)],
  ])('answers 401 for a token of different length (%s)', async (_label, token) => {
    const res = await post(gitlabPayload('push'), { token });
    expect(res.status).toBe(401);
  });

  it('checks authentication before reading the payload (a bad token on malformed JSON is 401, not 400)', async () => {
    const res = await post('{"object_kind":', { token: 'nope', event: 'Pipeline Hook' });
    expect(res.status).toBe(401);
  });

  it('refuses every delivery with a clear 401 when no webhook secret is configured', async () => {
    useTestEnvironment({});
    const res = await post(gitlabPayload('pipeline_success'), { token: '' });
    expect(res.status).toBe(401);
    expect((await json(res)).error).toMatch(/No webhook secret is configured/);
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
  });

  describe('with a signing key configured', () => {
    beforeEach(() => useTestEnvironment({ token: FAKE_WEBHOOK_TOKEN, signingKey: FAKE_SIGNING_KEY }));

    it('accepts a valid signature and starts the release', async () => {
      const res = await post(gitlabPayload('pipeline_success'), { signingKey: FAKE_SIGNING_KEY });
      expect(res.status).toBe(202);
    });

    it('requires the signature even when X-Gitlab-Token is correct', async () => {
      const res = await post(gitlabPayload('pipeline_success'), { token: FAKE_WEBHOOK_TOKEN });
      expect(res.status).toBe(401);
      expect((await json(res)).error).toMatch(
        /signed delivery is required.*X-Gitlab-Token alone is not accepted/s,
      );
      expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
    });

    it('answers 401 for a signature made with another key, even with the right token', async () => {
      const otherKey = `whsec_${Buffer.from('another-key-of-thirty-two-bytes!').toString('base64')}`;
      const res = await post(gitlabPayload('pipeline_success'), {
        signingKey: otherKey,
        token: FAKE_WEBHOOK_TOKEN,
      });
      expect(res.status).toBe(401);
      expect((await json(res)).error).toMatch(/webhook-signature does not match/);
    });

    it('answers 401 when the body was changed after signing', async () => {
      const d = gitlabDelivery(gitlabPayload('pipeline_success'), { signingKey: FAKE_SIGNING_KEY });
      const tampered = {
        ...d,
        body: d.body.replace('"status": "success"', '"status":"success"').replace('4711', '4712'),
      };
      const res = await app.request('/webhooks/gitlab', deliveryInit(tampered));
      expect(res.status).toBe(401);
    });

    it('answers 401 for a signature older than 5 minutes', async () => {
      const res = await post(gitlabPayload('pipeline_success'), {
        signingKey: FAKE_SIGNING_KEY,
        timestamp: Math.floor(Date.now() / 1000) - 6 * 60,
      });
      expect(res.status).toBe(401);
      expect((await json(res)).error).toMatch(/s in the past; signed deliveries are accepted within 300 s/);
    });

    it('answers 401 for a signature more than 5 minutes in the future', async () => {
      const res = await post(gitlabPayload('pipeline_success'), {
        signingKey: FAKE_SIGNING_KEY,
        timestamp: Math.floor(Date.now() / 1000) + 6 * 60,
      });
      expect(res.status).toBe(401);
      expect((await json(res)).error).toMatch(/in the future/);
    });

    it('accepts a signature header carrying several v1 entries when one matches (key rotation)', async () => {
      const d = gitlabDelivery(gitlabPayload('pipeline_success'), { signingKey: FAKE_SIGNING_KEY });
      d.headers['webhook-signature'] =
        `v1,c29tZS1vbGQta2V5LXNpZ25hdHVyZQ== ${d.headers['webhook-signature']}`;
      const res = await app.request('/webhooks/gitlab', deliveryInit(d));
      expect(res.status).toBe(202);
    });
  });
});

describe('POST /webhooks/gitlab: malformed requests', () => {
  it('answers 405 with Allow: POST for other methods', async () => {
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
      const res = await app.request('/webhooks/gitlab', { method });
      expect(res.status).toBe(405);
      expect(res.headers.get('Allow')).toBe('POST');
    }
  });

  it('answers 415 for a body that is not application/json', async () => {
    const res = await post(gitlabPayload('push'), { contentType: 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(415);
    expect((await json(res)).error).toMatch(/Content-Type must be application\/json.*x-www-form-urlencoded/);
  });

  it('answers 415 without a Content-Type', async () => {
    expect((await post(gitlabPayload('push'), { contentType: null })).status).toBe(415);
  });

  it('answers 413 when Content-Length announces more than the limit', async () => {
    const res = await app.request(
      new Request('http://localhost/webhooks/gitlab', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Content-Length': String(WEBHOOK_BODY_LIMIT + 1) },
        body: '{}',
      }),
    );
    expect(res.status).toBe(413);
  });

  it('answers 413 when the bytes read exceed the limit although no Content-Length was sent', async () => {
    const big = JSON.stringify({ ...gitlabPayload('push'), padding: 'x'.repeat(WEBHOOK_BODY_LIMIT) });
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        const bytes = new TextEncoder().encode(big);
        for (let i = 0; i < bytes.length; i += 64 * 1024)
          controller.enqueue(bytes.subarray(i, i + 64 * 1024));
        controller.close();
      },
    });
    const d = gitlabDelivery('', { token: FAKE_WEBHOOK_TOKEN, event: 'Push Hook' });
    const res = await app.request(
      new Request('http://localhost/webhooks/gitlab', {
        method: 'POST',
        headers: d.headers,
        body: stream,
        duplex: 'half',
      } as RequestInit),
    );
    expect(res.status).toBe(413);
    expect((await json(res)).error).toMatch(/over Shipgate's webhook limit of 4194304 bytes/);
  });

  it('answers 400 for malformed JSON', async () => {
    const res = await post('{"object_kind": "pipeline",,}', { event: 'Pipeline Hook' });
    expect(res.status).toBe(400);
    expect((await json(res)).error).toMatch(/not valid JSON/);
  });

  it('answers 400 for a truncated body', async () => {
    const body = JSON.stringify(gitlabPayload('pipeline_success'));
    const res = await post(body.slice(0, body.length / 2), { event: 'Pipeline Hook' });
    expect(res.status).toBe(400);
    expect((await json(res)).error).toMatch(/truncated/);
  });

  it('answers 400 for deeply nested JSON without crashing', async () => {
    const deep = `{"object_kind":"pipeline","x":${'['.repeat(100000)}${']'.repeat(100000)}}`;
    const res = await post(deep, { event: 'Pipeline Hook' });
    expect(res.status).toBe(400);
    expect((await json(res)).error).toMatch(/nested more than 64 levels/);
  });

  it('answers 400 for a pipeline without created_at (GitLab always sends it) and starts nothing', async () => {
    const payload = gitlabPayload('pipeline_success') as { object_attributes: Record<string, unknown> };
    delete payload.object_attributes.created_at;
    const res = await post(payload, { event: 'Pipeline Hook' });
    expect(res.status).toBe(400);
    expect((await json(res)).error).toMatch(/created_at is required/);
    payload.object_attributes.created_at = 'yesterday';
    const bad = await post(payload, { event: 'Pipeline Hook' });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error).toMatch(/created_at must be a time/);
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
  });

  it('answers 400 without X-Gitlab-Event', async () => {
    const res = await post(gitlabPayload('pipeline_success'), { event: null });
    expect(res.status).toBe(400);
    expect((await json(res)).error).toMatch(/Missing X-Gitlab-Event/);
  });

  it('answers 400 for an X-Gitlab-Event GitLab never sends', async () => {
    const res = await post(gitlabPayload('pipeline_success'), { event: 'Deploy Now Hook' });
    expect(res.status).toBe(400);
    expect((await json(res)).error).toMatch(/Unknown X-Gitlab-Event "Deploy Now Hook"/);
  });

  it('answers 400 when X-Gitlab-Event disagrees with object_kind', async () => {
    const res = await post(gitlabPayload('pipeline_success'), { event: 'Push Hook' });
    expect(res.status).toBe(400);
    expect((await json(res)).error).toMatch(
      /"Push Hook" does not match the body's object_kind "pipeline" \(expected "Pipeline Hook"\)/,
    );
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
  });

  it('answers 400 naming the field when a field Shipgate reads has the wrong type', async () => {
    const res = await post(pipelinePayload({ sha: 'not-a-sha' }));
    expect(res.status).toBe(400);
    expect((await json(res)).error).toMatch(
      /object_attributes\.sha: expected a 40-character hexadecimal commit SHA/,
    );
  });

  it('answers 400 for a JSON body that is not an object', async () => {
    const res = await post('[1,2,3]', { event: 'Pipeline Hook' });
    expect(res.status).toBe(400);
    expect((await json(res)).error).toMatch(/received an array/);
  });
});

describe('GET /healthz', () => {
  it('is alive', async () => {
    const res = await app.request('/healthz');
    expect(res.status).toBe(200);
  });
});

describe('body limits of the other routes', () => {
  it.each(['/slack/interactions', '/approvals/some-id'])(
    'answers 413 for an oversized body on %s',
    async (path) => {
      const res = await app.request(path, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          'Content-Length': String(FORM_BODY_LIMIT + 1),
        },
        body: 'decision=approve',
      });
      expect(res.status).toBe(413);
    },
  );
});

describe('withDeadline', () => {
  it('passes a result through and turns a hang into a 503 that says a resend is safe', async () => {
    await expect(withDeadline(Promise.resolve('done'), 50)).resolves.toBe('done');
    await expect(withDeadline(new Promise(() => undefined), 20)).rejects.toMatchObject({
      name: 'DeliveryTimeoutError',
      status: 503,
      message: expect.stringMatching(/within 20 ms.*Resend it from GitLab/),
    });
  });
});
