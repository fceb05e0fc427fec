import type { ProjectConfig, ShipgateConfig } from '../../shared/config';
import { type ReleaseInput, releaseInputSchema } from '../../shared/release';
import type { PipelineEvent } from '../webhook/events';
import { executionName } from './naming';

/**
 * Converts a GitLab time (`2026-11-21 23:59:30 UTC`, or ISO 8601) to ISO 8601; unparseable values are
 * returned unchanged so the result stays a pure function of the input.
 */
export function gitlabTimeToIso(value: string): string {
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? value : new Date(ms).toISOString();
}

/**
 * Deterministic key of a pipeline event: the same for every delivery of it, whichever hook sent it.
 * @example pipelineEventKey(12, 4711, 'success') // 'gitlab:12:pipeline:4711:success'
 */
export function pipelineEventKey(projectId: number, pipelineId: number, status: string): string {
  return `gitlab:${projectId}:pipeline:${pipelineId}:${status}`;
}

/**
 * Builds the state machine input for a pipeline that releases. It is a pure function of the event and the
 * configuration (no receive time, no delivery id): `createdAt` is the pipeline's `finished_at`, so every
 * delivery of the event yields byte-identical input and StartExecution's idempotency (same name + same
 * input → same execution) holds.
 * @example buildReleaseInput(event, findProject(config, 'root/inventory-app')!, config, { ref: 'main', tag: false })
 */
export function buildReleaseInput(
  event: PipelineEvent,
  project: ProjectConfig,
  config: ShipgateConfig,
  { ref, tag }: { ref: string; tag: boolean },
): ReleaseInput {
  const attrs = event.object_attributes;
  const commit = event.commit ?? undefined;
  const title =
    commit?.title ?? commit?.message?.split('\n').find((line) => line.trim() !== '') ?? '(no commit message)';
  const when = attrs.finished_at ?? attrs.created_at ?? commit?.timestamp;
  const user = event.user ?? undefined;
  const input: ReleaseInput = {
    release: {
      id: executionName(event.project.path_with_namespace, attrs.id, attrs.sha),
      project: {
        id: event.project.id,
        path: event.project.path_with_namespace,
        ...(event.project.web_url ? { webUrl: event.project.web_url } : {}),
      },
      commit: {
        sha: attrs.sha,
        title: title.trim(),
        ...(commit?.url ? { url: commit.url } : {}),
        ...(commit?.author?.email ? { author: commit.author.email } : {}),
      },
      ref,
      tag,
      pipeline: { id: attrs.id, ...(attrs.url ? { url: attrs.url } : {}) },
      triggeredBy: {
        username: user?.username ?? 'unknown',
        ...(user?.name ? { name: user.name } : {}),
        ...(user?.email && user.email !== '[REDACTED]' ? { email: user.email } : {}),
      },
      services: [...project.services],
      environments: config.environments.map((e) => e.name),
      deliveryId: pipelineEventKey(event.project.id, attrs.id, attrs.status),
      createdAt: when ? gitlabTimeToIso(when) : new Date(0).toISOString(),
    },
  };
  // Guard the contract with the state machine: fail here, not three states later.
  return releaseInputSchema.parse(input);
}
