import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { parseConfig, type ShipgateConfig } from '../../../lambdas/shared/config';
import { announceDeps, type AnnounceDeps } from '../../../lambdas/domain/outcomes/announce';
import {
  announceDeployed,
  announceFailure,
  announceFrozen,
  countsFromSummary,
  failureOutcome,
} from '../../../lambdas/domain/outcomes/from-steps';
import { asSentence } from '../../../lambdas/domain/chat/format';
import { makeRelease } from '../approvals/harness';
import { installMemoryTable } from '../releases/memory-table';

const MACHINE = 'arn:aws:states:us-east-1:000000000000:stateMachine:shipgate-release';

function config(
  notify: { staging?: string; production?: string } = {},
  slackChannel?: string,
): ShipgateConfig {
  return parseConfig({
    version: 1,
    projects: [{ path: 'root/api-gateway', services: ['api-gateway', 'worker'] }],
    services: { 'api-gateway': { repository: 'api-gateway' }, worker: { repository: 'worker' } },
    approvers: { alice: { name: 'Alice' }, bob: { name: 'Bob' } },
    environments: [
      {
        name: 'staging',
        approval: { approvers: ['alice', 'bob'], quorum: 1 },
        ...(notify.staging ? { notify: notify.staging } : {}),
      },
      {
        name: 'production',
        approval: { approvers: ['alice', 'bob'], quorum: 1 },
        ...(notify.production ? { notify: notify.production } : {}),
      },
    ],
    notifications: { chat: true, ...(slackChannel ? { slackChannel } : {}) },
  });
}

interface Sent {
  url: string;
  body: Record<string, unknown>;
}

function harness(cfg: ShipgateConfig, secrets: Record<string, string> = {}) {
  const ddbMock = mockClient(DynamoDBDocumentClient);
  const items = installMemoryTable(ddbMock);
  const sent: Sent[] = [];
  let ts = 1000;
  const fetchImpl = (async (url: string, init: { body: string }) => {
    const body = JSON.parse(init.body) as Record<string, unknown>;
    sent.push({ url, body });
    if (url.includes('/api/chat.')) {
      return new Response(JSON.stringify({ ok: true, channel: body.channel, ts: String(body.ts ?? ++ts) }), {
        status: 200,
      });
    }
    return new Response('ok', { status: 200 });
  }) as unknown as typeof fetch;
  const deps: AnnounceDeps = announceDeps({
    config: cfg,
    table: 't',
    now: () => new Date('2026-11-21T12:00:00Z'),
    fetch: fetchImpl,
    getSecret: async (name) =>
      ({ chatWebhookUrl: 'https://chat.example.test/hooks/abc', ...secrets })[name as string],
    env: {
      SHIPGATE_PUBLIC_URL: 'https://shipgate.example.test',
      SHIPGATE_STATE_MACHINE_ARN: MACHINE,
      SHIPGATE_SLACK_API_URL: 'https://slack.example.test/api',
    },
  });
  return { deps, sent, items, restore: () => ddbMock.restore() };
}

const release = makeRelease(1, 42);
const images = [
  { service: 'api-gateway', digest: `sha256:${'a'.repeat(64)}` },
  { service: 'worker', digest: `sha256:${'b'.repeat(64)}` },
];

describe('outcome messages', () => {
  it('deployed: digests, duration, links to the execution and the release, the release quoted; posted once', async () => {
    const h = harness(config());
    const input = { environment: 'staging', release, images };
    const first = await announceDeployed(input, { startedAt: '2026-11-21T11:57:55Z', checks: 2 }, h.deps);
    const again = await announceDeployed(input, { startedAt: '2026-11-21T11:57:55Z', checks: 2 }, h.deps);
    expect([first, again]).toEqual(['sent', 'duplicate']);
    expect(h.sent).toHaveLength(1);
    const text = h.sent[0].body.text as string;
    expect(text).toContain(`Deployed to staging: root/api-gateway ${release.commit.sha.slice(0, 8)}`);
    expect(text).toContain(`api-gateway @ sha256:${'a'.repeat(64)}`);
    expect(text).toContain(`worker @ sha256:${'b'.repeat(64)}`);
    expect(text).toContain('rolled out and verified in 2 min 5 s; 2 smoke checks passed');
    expect(text).toContain(
      `> root/api-gateway \`${release.commit.sha.slice(0, 8)}\` "Add rate limiting, part 1"`,
    );
    expect(text).toContain(`Execution: http`);
    expect(text).toContain(
      encodeURIComponent(`${MACHINE.replace(':stateMachine:', ':execution:')}:${release.id}`),
    );
    expect(text).toContain(`Release: https://shipgate.example.test/api/releases/${release.id}`);
    h.restore();
  });

  it('failed rollout: readable cause and what was rolled back', async () => {
    const h = harness(config());
    await announceFailure(
      {
        release,
        scan: { passed: true },
        error: {
          Error: 'RolloutFailed',
          Cause: JSON.stringify({
            errorType: 'RolloutFailed',
            errorMessage: 'Circuit breaker tripped',
            trace: ['x'],
          }),
        },
        rollback: {
          rolledBack: [
            {
              service: 'api-gateway',
              from: 'arn:aws:ecs:us-east-1:1:task-definition/api-gateway:8',
              to: 'arn:aws:ecs:us-east-1:1:task-definition/api-gateway:7',
              by: 'shipgate',
            },
          ],
          untouched: [{ service: 'worker', reason: 'never rolled out by Shipgate' }],
        },
      },
      h.deps,
    );
    const text = h.sent[0].body.text as string;
    expect(text).toContain('Failed in staging, rolled back: root/api-gateway');
    expect(text).toContain('RolloutFailed: Circuit breaker tripped');
    expect(text).not.toContain('trace');
    expect(text).toContain('Rolled back: api-gateway api-gateway:8 → api-gateway:7 (by shipgate)');
    expect(text).toContain('Not rolled back: worker (never rolled out by Shipgate)');
    h.restore();
  });

  it('failed smoke check in production after staging was verified', () => {
    const outcome = failureOutcome({
      release,
      scan: { passed: true },
      verify: { staging: { passed: true } },
      error: { Error: 'VerifyFailed', Cause: 'api-gateway: GET /healthz answered 503 three times' },
      rollback: { rolledBack: [{ service: 'api-gateway' }], untouched: [] },
    });
    expect(outcome).toMatchObject({ kind: 'failed', environment: 'production', error: 'VerifyFailed' });
  });

  it('scan stop: counted findings from the summary', async () => {
    const summary =
      'Scan FAILED: staging (CRITICAL 1 > 0).\nFindings across 2 images: CRITICAL 1, HIGH 3 [Trivy].\n- CVE-2024-1 CRITICAL openssl';
    expect(countsFromSummary(summary)).toEqual({ CRITICAL: 1, HIGH: 3 });
    const h = harness(config());
    await announceFailure({ release, error: { Error: 'ScanGateFailed', Cause: summary } }, h.deps);
    const text = h.sent[0].body.text as string;
    expect(text).toContain('Stopped at the scan gate');
    expect(text).toContain('Findings over the policy: CRITICAL 1, HIGH 3');
    h.restore();
  });

  it('freeze hold: until when, once per window', async () => {
    const h = harness(config());
    const state = { frozen: true, until: '2026-11-23T07:00:00.000Z', reason: 'Weekend freeze' };
    await announceFrozen({ environment: 'production', release }, state, h.deps);
    await announceFrozen({ environment: 'production', release }, state, h.deps);
    await announceFrozen({ environment: 'production', release }, { frozen: false }, h.deps);
    expect(h.sent).toHaveLength(1);
    expect(h.sent[0].body.text).toContain(
      'Held by a deploy freeze in production until 2026-11-23T07:00:00.000Z',
    );
    expect(h.sent[0].body.text).toContain(
      'Weekend freeze; the release waits and continues at 2026-11-23T07:00:00.000Z.',
    );
    h.restore();
  });

  it('superseded at rollout; approval outcomes are left to the approval messages', () => {
    expect(
      failureOutcome({
        release,
        scan: { passed: true },
        error: { Error: 'ReleaseSuperseded', Cause: 'newer runs' },
      }),
    ).toMatchObject({ kind: 'superseded', environment: 'staging', cause: 'newer runs' });
    expect(
      failureOutcome({ release, scan: { passed: true }, error: { Error: 'ApprovalRejected' } }),
    ).toBeUndefined();
  });

  it('notify per environment: failures only drops good news, none drops everything', async () => {
    const h = harness(config({ staging: 'failures', production: 'none' }));
    expect(await announceDeployed({ environment: 'staging', release, images }, { checks: 1 }, h.deps)).toBe(
      'filtered',
    );
    expect(
      await announceFailure(
        { release, scan: { passed: true }, error: { Error: 'RolloutFailed', Cause: 'x' } },
        h.deps,
      ),
    ).toBe('sent');
    expect(
      await announceFrozen({ environment: 'production', release }, { frozen: true, until: 'later' }, h.deps),
    ).toBe('filtered');
    expect(h.sent).toHaveLength(1);
    h.restore();
  });

  it('with a Slack app: replies in the release thread and updates the root to the final state', async () => {
    const h = harness(config({}, 'C0123ABCDEF'), { slackBotToken: 'xoxb-test' });
    await announceDeployed({ environment: 'staging', release, images }, { checks: 1 }, h.deps);
    await announceFailure(
      {
        release,
        scan: { passed: true },
        verify: { staging: { passed: true } },
        error: { Error: 'VerifyFailed', Cause: 'smoke failed' },
      },
      h.deps,
    );
    const [root, reply, update] = h.sent;
    expect(root.url).toBe('https://slack.example.test/api/chat.postMessage');
    expect(root.body).toMatchObject({ channel: 'C0123ABCDEF' });
    expect(root.body.thread_ts).toBeUndefined();
    expect(root.body.text).not.toContain('> root/api-gateway'); // the thread is the context
    expect(reply.url).toBe('https://slack.example.test/api/chat.postMessage');
    expect(reply.body.thread_ts).toBe('1001');
    expect(update.url).toBe('https://slack.example.test/api/chat.update');
    expect(update.body).toMatchObject({ channel: 'C0123ABCDEF', ts: '1001' });
    expect(update.body.text).toContain('Failed in production');
    expect(JSON.stringify(h.sent)).not.toContain('xoxb-test');
    h.restore();
  });

  it('renders a reason as given', () => {
    expect(asSentence('Rejected by Bob: needs review.')).toBe('Rejected by Bob: needs review.');
    expect(asSentence('Rejected by Bob: needs review')).toBe('Rejected by Bob: needs review.');
  });
});
