import { gitlabClient } from '../../../lambdas/domain/gitlab/client';
import { gitlabCommitReader, toLedgerCommit } from '../../../lambdas/domain/ledger/commits';
import { startFakeGitlab, type FakeGitlab } from '../../helpers/fake-gitlab';

/**
 * The ledger's GitLab reads through the real GitLab client against the fake GitLab: compare between the
 * SHA that ran before and the new one (GET /projects/:id/repository/compare?from=&to=), the single commit of a
 * first release, the labels of the commit's merge requests, and the fallback when GitLab fails.
 */

let gitlab: FakeGitlab;
const sha = (c: string) => c.repeat(40);

beforeAll(async () => {
  gitlab = await startFakeGitlab();
  const t = (h: number) => new Date(Date.parse('2026-11-02T08:00:00Z') + h * 3_600_000).toISOString();
  gitlab.addCommit(12, { id: sha('a'), title: 'base', authored_date: t(0), committed_date: t(0) });
  gitlab.addCommit(12, {
    id: sha('b'),
    parent: sha('a'),
    title: 'one',
    authored_date: t(1),
    committed_date: t(2),
  });
  gitlab.addCommit(12, {
    id: sha('c'),
    parent: sha('b'),
    title: 'two',
    authored_date: t(3),
    committed_date: t(4),
    mrLabels: ['hotfix', 'backend'],
  });
});
afterAll(() => gitlab.stop());

describe('gitlabCommitReader', () => {
  const reader = () => gitlabCommitReader(gitlabClient({ url: gitlab.url, token: gitlab.token }, 2000));

  it('lists the commits new to the environment with authored and committed times, and the MR labels', async () => {
    const info = await reader()({ id: 12 }, { sha: sha('c'), title: 'two' }, sha('a'));
    expect(info).toEqual({
      source: 'gitlab-compare',
      commits: [
        {
          sha: sha('b'),
          title: 'one',
          authoredAt: '2026-11-02T09:00:00.000Z',
          committedAt: '2026-11-02T10:00:00.000Z',
        },
        {
          sha: sha('c'),
          title: 'two',
          authoredAt: '2026-11-02T11:00:00.000Z',
          committedAt: '2026-11-02T12:00:00.000Z',
        },
      ],
      mergeRequestLabels: ['hotfix', 'backend'],
    });
    expect(gitlab.requestsTo('GET', /\/repository\/compare$/).at(-1)!.query).toMatchObject({
      from: sha('a'),
      to: sha('c'),
    });
  });

  it('reads the release commit alone for a first release into the environment', async () => {
    const info = await reader()({ id: 12 }, { sha: sha('b'), title: 'one' }, undefined);
    expect(info).toMatchObject({
      source: 'gitlab-commit',
      commits: [{ sha: sha('b'), committedAt: '2026-11-02T10:00:00.000Z' }],
    });
  });

  it('keeps the release commit without times when GitLab fails (never throws)', async () => {
    gitlab.fail({ path: /\/repository\//, status: 502 });
    try {
      const info = await reader()({ id: 12 }, { sha: sha('c'), title: 'two' }, sha('a'));
      expect(info).toEqual({
        source: 'release',
        commits: [{ sha: sha('c'), title: 'two' }],
        mergeRequestLabels: [],
      });
    } finally {
      gitlab.heal();
    }
  });

  it('ignores commit objects without an id and times that are not dates', () => {
    expect(toLedgerCommit({ title: 'x' })).toBeUndefined();
    expect(toLedgerCommit({ id: 'abc', committed_date: 'yesterday' })).toEqual({ sha: 'abc' });
  });
});
