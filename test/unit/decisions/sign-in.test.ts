import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { approvalDeps } from '../../../lambdas/domain/approvals/deps';
import { readApprovalRecord } from '../../../lambdas/domain/approvals/store';
import { app } from '../../../lambdas/http/app';
import { handler as requestApprovalHandler } from '../../../lambdas/steps/request-approval';
import type { Release } from '../../../lambdas/shared/release';
import { BrowserSession, decideAs } from '../../helpers/sign-in';
import { releaseCommitAuthors } from '../../../lambdas/domain/decisions/commit-authors';
import { restoreLedgerHead } from '../../../lambdas/domain/ledger/store';
import { selfApprovalReason } from '../../../lambdas/domain/approvals/vote';
import type { ApproverSnapshot } from '../../../lambdas/domain/approvals/types';
import {
  freshProjectId,
  makePayload,
  makeRelease,
  TEST_CONFIG,
  useSignedInHarness,
} from '../approvals/harness';

const TEST_CONFIG_APPROVER = (key: string): ApproverSnapshot => ({
  key,
  name: TEST_CONFIG.approvers[key].name ?? key,
  email: TEST_CONFIG.approvers[key].email,
});

/**
 * Votes from review links count for the GitLab user who signed in: the whole flow through Shipgate's hono
 * app on loopback and the sandbox's GitLab (the real oidc-provider) in a child process.
 */

const USERS = [
  { username: 'alice', name: 'Alice' },
  { username: 'bob', name: 'Bob' },
  { username: 'carol', name: 'Carol' },
  { username: 'mallory', name: 'Mallory' },
];

const suite = useSignedInHarness(app, { users: USERS });
const { sfnMock } = suite;

async function open(
  environment: string,
  overrides: Partial<Release> = {},
): Promise<{ id: string; url: string }> {
  const release = makeRelease(1, freshProjectId(), overrides);
  const result = await requestApprovalHandler(makePayload(release, environment));
  return { id: result.approvalId, url: `${suite.rig.url}/approvals/${result.approvalId}` };
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

describe('self-approval covers the commit authors, not only who ran the pipeline', () => {
  it('the author of the release commit cannot approve it when allowSelfApproval is false; the page says why', async () => {
    // Erin ran the pipeline; Bob wrote the commit.
    const base = makeRelease(2, freshProjectId());
    const a = await open('production', { commit: { ...base.commit, author: 'Bob@Example.com' } });
    const bob = new BrowserSession();
    const page = await bob.signIn(a.url, 'bob');
    expect(page.html).toContain(
      'You may not approve: Bob (@bob) authored a commit of this release (bob@example.com). You can still reject.',
    );
    expect(page.html).not.toContain('value="approve"');
    const res = await bob.decide(a.url, 'approve', 'my own change');
    expect(res.status).toBe(403);
    expect(res.html).toContain('authored a commit of this release');
    expect(res.html).toContain('Nothing was recorded');
    expect((await record(a.id))?.votes).toEqual({});
    // Two others approve it.
    expect(await decideAs(a.url, 'alice', 'approve')).toBe(200);
    expect(await decideAs(a.url, 'carol', 'approve')).toBe(200);
    expect((await record(a.id))?.status).toBe('APPROVED');
  });

  it('staging allows self-approval: the commit author may approve there', async () => {
    const base = makeRelease(3, freshProjectId());
    const a = await open('staging', { commit: { ...base.commit, author: 'bob@example.com' } });
    expect(await decideAs(a.url, 'bob', 'approve')).toBe(200);
  });

  it('reads the authors of every commit new to the environment from GitLab (compare from what runs there)', async () => {
    const release = makeRelease(4, freshProjectId(), { services: ['api-gateway'] });
    const previous = 'e'.repeat(40);
    await restoreLedgerHead({
      environment: 'production',
      service: 'api-gateway',
      releaseId: 'earlier',
      commitSha: previous,
      at: new Date().toISOString(),
    });
    const compare = jest.fn(async () => ({
      commits: [{ author_email: 'Carol@example.com' }, { author_email: 'dave@example.com' }],
    }));
    const gitlab = { Repositories: { compare }, Commits: { show: jest.fn() } } as never;
    const authors = await releaseCommitAuthors(
      { ...release, commit: { ...release.commit, author: 'erin@example.com' } },
      'production',
      { config: TEST_CONFIG, gitlab },
    );
    expect(compare).toHaveBeenCalledWith(release.project.id, previous, release.commit.sha);
    expect(authors.sort()).toEqual(['carol@example.com', 'dave@example.com', 'erin@example.com']);
    // Carol wrote a commit in between: she may not approve that release in production.
    const view = {
      subject: { triggeredBy: { username: 'erin' }, commitAuthors: authors },
      policy: { allowSelfApproval: false, selfApproval: { pipelineUser: true, commitAuthors: true } },
    } as never;
    expect(selfApprovalReason(view, TEST_CONFIG_APPROVER('carol'))).toMatch(/authored a commit/);
    // Configurable: commit authorship can be left out.
    expect(
      selfApprovalReason(
        {
          ...(view as object),
          policy: { allowSelfApproval: false, selfApproval: { pipelineUser: true, commitAuthors: false } },
        } as never,
        TEST_CONFIG_APPROVER('carol'),
      ),
    ).toBeUndefined();
  });
});
