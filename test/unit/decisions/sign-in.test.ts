import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { approvalDeps } from '../../../lambdas/domain/approvals/deps';
import { readApprovalRecord } from '../../../lambdas/domain/approvals/store';
import { app } from '../../../lambdas/http/app';
import { handler as requestApprovalHandler } from '../../../lambdas/steps/request-approval';
import type { Release } from '../../../lambdas/shared/release';
import { BrowserSession, decideAs, startSignInRig, type SignInRig } from '../../helpers/sign-in';
import { freshProjectId, makePayload, makeRelease, startHarness, type Harness } from '../approvals/harness';

/**
 * Votes from review links count for the GitLab user who signed in: the whole flow through Shipgate's hono
 * app on loopback and the sandbox's GitLab (the real oidc-provider) in a child process.
 */

const sfnMock = mockClient(SFNClient);
let h: Harness;
let rig: SignInRig;

const USERS = [
  { username: 'alice', name: 'Alice' },
  { username: 'bob', name: 'Bob' },
  { username: 'carol', name: 'Carol' },
  { username: 'mallory', name: 'Mallory' },
];

beforeAll(async () => {
  h = await startHarness();
  rig = await startSignInRig(app, USERS);
});
afterAll(async () => {
  await rig?.close();
  await h?.close();
});
beforeEach(() => {
  sfnMock.reset();
  sfnMock.on(SendTaskSuccessCommand).resolves({});
  sfnMock.on(SendTaskFailureCommand).resolves({});
});

async function open(environment: string, overrides: Partial<Release> = {}): Promise<{ id: string; url: string }> {
  const release = makeRelease(1, freshProjectId(), overrides);
  const result = await requestApprovalHandler(makePayload(release, environment));
  return { id: result.approvalId, url: `${rig.url}/approvals/${result.approvalId}` };
}

const record = (id: string) => readApprovalRecord(approvalDeps(), id);

describe('signing in with GitLab to vote', () => {
  it('records the vote for the signed-in GitLab user, with the identity source', async () => {
    const a = await open('production');
    expect(await decideAs(a.url, 'alice', 'approve', 'looks good')).toBe(200);
    const item = await record(a.id);
    expect(item?.votes.alice).toMatchObject({
      decision: 'approve',
      via: 'gitlab',
      identity: 'gitlab:alice',
      reason: 'looks good',
    });
    expect(item?.status).toBe('OPEN');
    expect(await decideAs(a.url, 'bob', 'approve')).toBe(200);
    expect((await record(a.id))?.status).toBe('APPROVED');
    expect(sfnMock.commandCalls(SendTaskSuccessCommand)).toHaveLength(1);
  });
});
