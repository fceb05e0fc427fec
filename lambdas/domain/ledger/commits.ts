import { getConfig, type ShipgateConfig } from '../../shared/config';
import { logger } from '../../shared/logger';
import { describeGitlabError, gitlabClient, gitlabSettings, type GitlabApi } from '../gitlab/client';
import type { CommitsSource, LedgerCommit } from './types';

/**
 * Reads from GitLab what the ledger needs about a release's commits, through the shared GitLab client:
 * - the commits new to an environment: `GET /projects/:id/repository/compare?from=<previous SHA>&to=<SHA>`
 *   (Repositories API, "Compare branches, tags or commits": `commits` oldest first, each with
 *   `authored_date` and `committed_date`; https://docs.gitlab.com/api/repositories/#compare-branches-tags-or-commits);
 * - the release commit alone when nothing ran there before: `GET /projects/:id/repository/commits/:sha`;
 * - the labels of the merge requests that brought the commit: `GET /projects/:id/repository/commits/:sha/merge_requests`.
 * Every read is best effort: without GitLab (not configured, unreachable) the entry keeps the release commit
 * without times (`commitsSource: 'release'`) and says so in the log; the ledger entry is still written.
 */

/** What the ledger learns about the commits of one release in one environment. */
export interface CommitInfo {
  commits: LedgerCommit[];
  source: CommitsSource;
  /** Labels of merge requests associated with the release commit (empty when unknown). */
  mergeRequestLabels: string[];
}

/** Reads the commits new to an environment (`from`: SHA that ran there before, if any). */
export type CommitReader = (
  project: { id: number },
  commit: { sha: string; title: string },
  from: string | undefined,
) => Promise<CommitInfo>;

interface GitlabCommitLike {
  id?: unknown;
  title?: unknown;
  authored_date?: unknown;
  committed_date?: unknown;
}

const iso = (v: unknown): string | undefined => {
  if (typeof v !== 'string') return undefined;
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
};

/** Converts a GitLab commit object to a ledger commit. */
export function toLedgerCommit(c: GitlabCommitLike): LedgerCommit | undefined {
  if (typeof c.id !== 'string') return undefined;
  return {
    sha: c.id,
    ...(typeof c.title === 'string' ? { title: c.title } : {}),
    ...(iso(c.authored_date) ? { authoredAt: iso(c.authored_date) } : {}),
    ...(iso(c.committed_date) ? { committedAt: iso(c.committed_date) } : {}),
  };
}

/** A {@link CommitReader} over a GitLab client. */
export function gitlabCommitReader(api: GitlabApi): CommitReader {
  return async (project, commit, from) => {
    let commits: LedgerCommit[];
    let source: CommitsSource;
    try {
      if (from && from !== commit.sha) {
        const out = (await api.Repositories.compare(project.id, from, commit.sha)) as {
          commits?: GitlabCommitLike[];
        };
        commits = (out.commits ?? []).map(toLedgerCommit).filter((c): c is LedgerCommit => !!c);
        source = 'gitlab-compare';
      } else {
        const one = toLedgerCommit((await api.Commits.show(project.id, commit.sha)) as GitlabCommitLike);
        commits = one ? [one] : [];
        source = 'gitlab-commit';
      }
    } catch (err) {
      logger.warn('GitLab commits not read; the ledger keeps the release commit without times', {
        projectId: project.id,
        error: describeGitlabError(err),
      });
      commits = [];
      source = 'release';
    }
    if (commits.length === 0) commits = [{ sha: commit.sha, title: commit.title }];
    let mergeRequestLabels: string[] = [];
    try {
      const mrs = (await api.Commits.allMergeRequests(project.id, commit.sha)) as { labels?: unknown }[];
      mergeRequestLabels = mrs.flatMap((mr) =>
        Array.isArray(mr.labels) ? mr.labels.filter((l): l is string => typeof l === 'string') : [],
      );
    } catch (err) {
      logger.warn('GitLab merge requests of the commit not read; no MR label marks it unplanned', {
        projectId: project.id,
        error: describeGitlabError(err),
      });
    }
    return { commits, source, mergeRequestLabels };
  };
}

/** A reader that knows only the release commit (GitLab not configured). */
export const releaseOnlyReader: CommitReader = async (_project, commit) => ({
  commits: [{ sha: commit.sha, title: commit.title }],
  source: 'release',
  mergeRequestLabels: [],
});

/** The reader for this deployment: GitLab when configured (URL and token), else {@link releaseOnlyReader}. */
export async function defaultCommitReader(config: ShipgateConfig = getConfig()): Promise<CommitReader> {
  const settings = await gitlabSettings(config);
  return settings ? gitlabCommitReader(gitlabClient(settings, 5_000)) : releaseOnlyReader;
}
