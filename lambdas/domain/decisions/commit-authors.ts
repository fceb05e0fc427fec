import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ShipgateConfig } from '../../shared/config';
import { logger } from '../../shared/logger';
import type { Release } from '../../shared/release';
import { describeGitlabError, gitlabClient, gitlabSettings, type GitlabApi } from '../gitlab/client';
import { getLedgerHead } from '../ledger/store';

/**
 * The e-mail addresses of the authors of a release's commits in one environment, for self-approval: the
 * commits GitLab's compare API lists between what last ran there (the ledger's head) and the release commit
 * (`GET /projects/:id/repository/compare`, each commit's `author_email`), or the release commit alone when
 * nothing ran there before. Best effort: without GitLab (not configured, unreachable) it is the release
 * commit's author from the pipeline event, and the log says so.
 */

/** What the reader needs. */
export interface CommitAuthorDeps {
  config: ShipgateConfig;
  ddb?: DynamoDBDocumentClient;
  table?: string;
  /** A GitLab client (tests); default: the configured one, if any. */
  gitlab?: Pick<GitlabApi, 'Repositories' | 'Commits'>;
}

const MAX_AUTHORS = 200;

/** Authors (lower-case e-mail addresses) of the commits `release` brings to `environment`. */
export async function releaseCommitAuthors(
  release: Release,
  environment: string,
  deps: CommitAuthorDeps,
): Promise<string[]> {
  const authors = new Set<string>();
  const add = (email: unknown) => {
    if (typeof email === 'string' && email.includes('@') && authors.size < MAX_AUTHORS) {
      authors.add(email.trim().toLowerCase());
    }
  };
  add(release.commit.author);
  try {
    let api = deps.gitlab;
    if (!api) {
      const settings = await gitlabSettings(deps.config);
      if (!settings) return [...authors];
      api = gitlabClient(settings, 5_000);
    }
    const head = await getLedgerHead(environment, release.services[0], {
      ...(deps.ddb ? { ddb: deps.ddb } : {}),
      ...(deps.table ? { table: deps.table } : {}),
    });
    if (head?.commitSha && head.commitSha !== release.commit.sha) {
      const out = (await api.Repositories.compare(
        release.project.id,
        head.commitSha,
        release.commit.sha,
      )) as {
        commits?: { author_email?: unknown }[];
      };
      for (const c of out.commits ?? []) add(c.author_email);
    } else {
      add(
        ((await api.Commits.show(release.project.id, release.commit.sha)) as { author_email?: unknown })
          .author_email,
      );
    }
  } catch (err) {
    logger.warn(
      'The commits of the release were not read from GitLab; self-approval knows the release commit author only',
      {
        releaseId: release.id,
        environment,
        error: describeGitlabError(err),
      },
    );
  }
  return [...authors];
}
