import type { Release } from '../../lambdas/shared/release';

/** What sets one test release apart from another; {@link pipelineRelease} fills in the rest. */
export interface PipelineReleaseSpec {
  /** Default: root/inventory-app, GitLab project 12. Its one service is the last part of its path. */
  project?: Release['project'];
  /** The pipeline's id. Default: 4711. */
  pipeline?: number;
  /** Default: 1a2b3c4d…, "Add stock reservation endpoint". */
  commit?: Release['commit'];
  /** The GitLab user who triggered the pipeline. Default: dana. */
  by?: string;
  /** Default: 2026-11-21T23:58:41.000Z. */
  createdAt?: string;
  /** Default: `<service>-p<pipeline>-<the commit's first 12 characters>`, as the webhook names it. */
  id?: string;
}

/**
 * A release as the webhook records it for a successful pipeline on main: the one service of its project,
 * through staging and production. Without a spec, pipeline 4711 of root/inventory-app, triggered by dana.
 * @example pipelineRelease({ pipeline: 4701, createdAt: '2026-11-21T23:00:00.000Z' })
 */
export function pipelineRelease(spec: PipelineReleaseSpec = {}): Release {
  const project = spec.project ?? { id: 12, path: 'root/inventory-app' };
  const service = project.path.split('/').pop()!;
  const pipeline = spec.pipeline ?? 4711;
  const commit = spec.commit ?? {
    sha: '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d',
    title: 'Add stock reservation endpoint',
  };
  return {
    id: spec.id ?? `${service}-p${pipeline}-${commit.sha.slice(0, 12)}`,
    project,
    commit,
    ref: 'main',
    tag: false,
    pipeline: { id: pipeline },
    triggeredBy: { username: spec.by ?? 'dana' },
    services: [service],
    environments: ['staging', 'production'],
    deliveryId: `gitlab:${project.id}:pipeline:${pipeline}:success`,
    createdAt: spec.createdAt ?? '2026-11-21T23:58:41.000Z',
  };
}
