import { SendTaskFailureCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { expireApprovalsOfRelease } from '../../../lambdas/domain/approvals/close';
import { approvalDeps } from '../../../lambdas/domain/approvals/deps';
import { renderApprovalPage } from '../../../lambdas/domain/approvals/page';
import { InvalidApprovalRequestError } from '../../../lambdas/domain/approvals/errors';
import { approvalIdFor, requestApproval } from '../../../lambdas/domain/approvals/request';
import { listOpenApprovals, reviewFor } from '../../../lambdas/domain/approvals/query';
import { readApprovalRecord } from '../../../lambdas/domain/approvals/store';
import type { ApprovalView } from '../../../lambdas/domain/approvals/types';
import { escapeChat } from '../../../lambdas/domain/chat/format';
import { approvalOutcomeMessage, approvalRequestMessage } from '../../../lambdas/domain/chat/messages';
import { postChatMessage } from '../../../lambdas/domain/chat/post';
import {
  SlackSignatureError,
  slackSignature,
  verifySlackSignature,
} from '../../../lambdas/domain/chat/slack';
import {
  fakeTaskToken,
  freshProjectId,
  makePayload,
  makeRelease,
  startHarness,
  type Harness,
} from './harness';

describe('approval ids', () => {
  it('derives approval ids from the token without revealing it', () => {
    const id = approvalIdFor('arn:x', 'staging', 'TOKEN-SECRET-VALUE');
    expect(id).toMatch(/^apr_[0-9a-f]{24}$/);
    expect(id).toBe(approvalIdFor('arn:x', 'staging', 'TOKEN-SECRET-VALUE'));
    expect(id).not.toBe(approvalIdFor('arn:x', 'staging', 'TOKEN-OTHER'));
  });
});

describe('Slack request signatures', () => {
  const secret = 'fake-slack-secret';
  const body = 'payload=%7B%7D';
  const now = 1_763_772_000;
  /** Verifies, at `now`, `body` correctly signed with a timestamp `offset` seconds away. */
  const verifyOffBy = (offset: number) => () => {
    const ts = now + offset;
    verifySlackSignature(
      secret,
      { timestamp: String(ts), signature: slackSignature(secret, ts, body) },
      body,
      now,
    );
  };

  it('accepts a correct signature up to 300 s off and refuses beyond, or any other body', () => {
    for (const offset of [-300, -299, 0, 299, 300]) expect(verifyOffBy(offset)).not.toThrow();
    for (const offset of [-301, 301]) expect(verifyOffBy(offset)).toThrow(/301 s away from now/);
    const sig = slackSignature(secret, now, body);
    expect(() =>
      verifySlackSignature(secret, { timestamp: String(now), signature: sig }, `${body}x`, now),
    ).toThrow(SlackSignatureError);
    expect(() => verifySlackSignature(secret, { timestamp: undefined, signature: sig }, body, now)).toThrow(
      /X-Slack-Request-Timestamp must be Unix seconds; received nothing/,
    );
    expect(() =>
      verifySlackSignature(secret, { timestamp: String(now), signature: 'v1=abc' }, body, now),
    ).toThrow(/must look like "v0=<64 hex digits>"/);
  });
});

function view(approvers: number): ApprovalView {
  return {
    id: 'apr_view',
    status: 'OPEN',
    executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:shipgate-release:r1',
    executionUrl: 'https://console.example.test/x',
    environment: 'production',
    subject: {
      releaseId: 'r1',
      projectId: 1,
      projectPath: 'root/api-gateway',
      commitSha: 'a'.repeat(40),
      commitTitle: 'Fix <!channel> & friends',
      ref: 'main',
      pipelineId: 7,
      triggeredBy: { username: 'erin' },
      releaseCreatedAt: '2026-11-21T10:00:00.000Z',
      services: ['api-gateway'],
      images: [{ service: 'api-gateway', digest: `sha256:${'b'.repeat(64)}`, imageUri: 'x' }],
      scan: { passed: false, counts: { CRITICAL: 1, HIGH: 0 } },
    },
    policy: {
      approvers: Array.from({ length: approvers }, (_, i) => ({ key: `p${i}`, name: `Person ${i}` })),
      quorum: 1,
      timeoutSeconds: 3600,
      allowSelfApproval: false,
    },
    votes: {},
    createdAt: '2026-11-21T10:00:00.000Z',
    expiresAt: 1_763_722_800,
  };
}

describe('chat messages', () => {
  it('carries one review button however many approvers, and no interactive buttons without a Slack app', () => {
    const v = view(30);
    const message = approvalRequestMessage(v, {
      reviewUrl: `https://x.test/approvals/${v.id}`,
      slackApp: false,
    });
    const actions = message.blocks.filter((b) => b.type === 'actions') as { elements: { url?: string }[] }[];
    expect(actions.map((a) => a.elements.length)).toEqual([1]);
    expect(actions[0].elements[0].url).toBe(`https://x.test/approvals/${v.id}`);
    expect(message.text).toContain(
      `Review and decide (sign in with GitLab): https://x.test/approvals/${v.id}`,
    );
    expect(JSON.stringify(message)).not.toContain('"action_id":"approve"');
    expect(message.text).toContain('Scan: failed: CRITICAL 1, HIGH 0');
  });

  it('escapes Slack control sequences and mass mentions', () => {
    expect(escapeChat('Fix <!channel> & @here')).toBe('Fix &lt;!channel&gt; &amp; @\u200bhere');
    const message = approvalRequestMessage(view(1), { slackApp: false });
    expect(JSON.stringify(message)).not.toContain('<!channel>');
  });

  it('says how a closed approval ended', () => {
    const v: ApprovalView = {
      ...view(2),
      status: 'REJECTED',
      outcome: {
        status: 'REJECTED',
        at: '2026-11-21T10:05:00.000Z',
        by: ['p1'],
        reason: 'Not during the incident',
      },
    };
    const follow = approvalOutcomeMessage(v);
    expect(follow.text).toMatch(
      /^Rejected: root\/api-gateway aaaaaaaa → production — Rejected by Person 1: Not during the incident/,
    );
    const closed = approvalRequestMessage(v, { reviewUrl: 'https://x.test/approvals/x', slackApp: true });
    expect(closed.blocks.some((b) => b.type === 'actions')).toBe(false);
  });

  it('does not post when chat is disabled or not configured, and reports failures without throwing', async () => {
    const never = jest.fn<Promise<Response>, Parameters<typeof fetch>>();
    const message = approvalOutcomeMessage({ ...view(1), status: 'EXPIRED' });
    const off = { notifications: { chat: false } };
    const on = { notifications: { chat: true } };
    expect(
      await postChatMessage(message, { config: off, getSecret: async () => 'http://x', fetch: never }),
    ).toBe('disabled');
    expect(
      await postChatMessage(message, { config: on, getSecret: async () => undefined, fetch: never }),
    ).toBe('not-configured');
    expect(never).not.toHaveBeenCalled();
    const failing = jest.fn(async () => new Response('no', { status: 500 }));
    expect(
      await postChatMessage(message, { config: on, getSecret: async () => 'http://x', fetch: failing }),
    ).toBe('failed');
  });
});

describe('confirm page rendering', () => {
  it('never links javascript: URLs from the payload', () => {
    const v = view(1);
    v.subject.commitUrl = 'javascript:alert(1)';
    v.subject.projectUrl = 'https://gitlab.example.test/root/api-gateway';
    const html = renderApprovalPage(v, {
      viewer: { signInUrl: '/auth/signin', signOutUrl: '/auth/signout', approverNames: ['Person 0'] },
      nowSeconds: 0,
    });
    expect(html).not.toContain('javascript:');
    expect(html).toContain(
      '<a href="https://gitlab.example.test/root/api-gateway" rel="noopener noreferrer">',
    );
  });
});

describe('request payload and timeouts (with DynamoDB)', () => {
  const sfnMock = mockClient(SFNClient);
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('names the wrong payload fields without echoing the task token', async () => {
    const payload = {
      ...makePayload(makeRelease(1, freshProjectId()), 'staging', 'SECRET-TOKEN-VALUE'),
      resolved: {},
    };
    const err = await requestApproval(payload, approvalDeps()).catch((e: Error) => e);
    expect(err).toBeInstanceOf(InvalidApprovalRequestError);
    expect((err as Error).message).toMatch(/resolved\.images/);
    expect((err as Error).message).not.toContain('SECRET-TOKEN-VALUE');
  });

  it('lists open approvals of a project with their one review link and approvers', async () => {
    const projectId = freshProjectId();
    const release = makeRelease(3, projectId);
    const { approvalId } = await requestApproval(
      makePayload(release, 'production', fakeTaskToken()),
      approvalDeps(),
    );
    const open = await listOpenApprovals(projectId, approvalDeps());
    expect(open.map((v) => v.id)).toEqual([approvalId]);
    expect(JSON.stringify(open)).not.toContain('fakeTaskToken');
    const review = reviewFor(open[0], approvalDeps());
    expect(review?.approvers.map((l) => [l.approver, l.name, l.voted])).toEqual([
      ['alice', 'Alice', false],
      ['bob', 'Bob', false],
      ['carol', 'Carol', false],
    ]);
    expect(review?.url).toBe(`${process.env.SHIPGATE_PUBLIC_URL}/approvals/${approvalId}`);
  });

  it('lets "Report failure" close an approval whose task timed out, with a follow-up message', async () => {
    sfnMock.reset();
    sfnMock.on(SendTaskFailureCommand).resolves({});
    const release = makeRelease(2, freshProjectId());
    const payload = makePayload(release, 'production', fakeTaskToken());
    const { approvalId } = await requestApproval(payload, approvalDeps());
    const closed = await expireApprovalsOfRelease(
      { projectId: release.project.id, releaseId: release.id },
      approvalDeps(),
    );
    expect(closed.map((c) => c.id)).toEqual([approvalId]);
    expect((await readApprovalRecord(approvalDeps(), approvalId))?.status).toBe('EXPIRED');
    expect(
      h.posts.some(
        (p) => String(p.body.text).startsWith('Timed out:') && JSON.stringify(p.body).includes(approvalId),
      ),
    ).toBe(true);
    // Idempotent: a second call finds nothing open.
    expect(
      await expireApprovalsOfRelease(
        { projectId: release.project.id, releaseId: release.id },
        approvalDeps(),
      ),
    ).toEqual([]);
  });
});
