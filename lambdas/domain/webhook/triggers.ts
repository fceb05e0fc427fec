import { findProject, type ProjectConfig, type ShipgateConfig } from '../../shared/config';
import type { GitlabEvent, OtherGitlabEvent, PipelineEvent } from './events';

/** Git's "no object" SHA: `after` of a deleted ref, `before` of a created one. */
export const ZERO_SHA = '0000000000000000000000000000000000000000';

/** What a delivery leads to. */
export type TriggerDecision =
  | { action: 'release'; event: PipelineEvent; project: ProjectConfig; ref: string; tag: boolean }
  | { action: 'ignore'; reason: string };

const ignore = (reason: string): TriggerDecision => ({ action: 'ignore', reason });

/** `refs/heads/main` → `main`, `refs/tags/v1` → `v1`; short names unchanged. */
export function shortRef(ref: string): string {
  return ref.replace(/^refs\/(heads|tags)\//, '');
}

/** Sources of pipelines that run for a merge request rather than a branch or tag. */
const MERGE_REQUEST_SOURCES = new Set(['merge_request_event', 'external_pull_request_event']);

/**
 * Decides whether an event starts a release, following the project's `release` rules in the config:
 * only a `pipeline` event with `status: success` on the release branch (`default` = the project's default
 * branch as GitLab reports it) or a tag pipeline whose tag matches `release.tags`. Never merge-request
 * pipelines, child pipelines, refs GitLab reports as unprotected (when `requireProtected`; a missing flag is
 * unknown and the branch rule decides), other statuses, or other event kinds.
 *
 * @returns `release` with the matched project, or `ignore` with a specific, human reason.
 * @example decideTrigger(event, getConfig()) // { action: 'ignore', reason: 'pipeline 1234 status is running; only success releases' }
 */
export function decideTrigger(
  event: GitlabEvent | OtherGitlabEvent,
  config: ShipgateConfig,
): TriggerDecision {
  if ('unsupported' in event) {
    return ignore(`${event.object_kind} events never start a release; Shipgate acts on successful pipelines`);
  }
  switch (event.object_kind) {
    case 'push': {
      const branch = shortRef(event.ref);
      if (event.after === ZERO_SHA) {
        return ignore(`branch ${branch} was deleted (push with after = 40 zeros); deletions never release`);
      }
      const n = event.total_commits_count;
      const commits = n === undefined ? 'commits' : `${n} commit${n === 1 ? '' : 's'}`;
      return ignore(
        `push to branch ${branch} (${commits}): Shipgate releases when the pipeline for it succeeds, not on the push`,
      );
    }
    case 'tag_push': {
      const tag = shortRef(event.ref);
      if (event.after === ZERO_SHA) {
        return ignore(`tag ${tag} was deleted (tag push with after = 40 zeros); deletions never release`);
      }
      return ignore(
        `tag ${tag} was pushed: Shipgate releases when the tag pipeline succeeds, not on the push`,
      );
    }
    case 'merge_request': {
      const mr = event.object_attributes;
      return ignore(
        `merge request !${mr.iid} (${mr.action ?? mr.state}, ${mr.source_branch} → ${mr.target_branch}): merge requests never release; the pipeline on the release branch after the merge does`,
      );
    }
    case 'build':
      return ignore(
        `job ${event.build_id} (${event.build_name}) status is ${event.build_status}: Shipgate releases on whole successful pipelines, not jobs`,
      );
    case 'deployment':
      return ignore(
        `deployment ${event.deployment_id} to ${event.environment} is ${event.status}: GitLab deployment events are informational for Shipgate`,
      );
    case 'release':
      return ignore(
        `release ${event.tag} (${event.action}): GitLab release events never start a release; configure release.tags so the tag pipeline does`,
      );
    case 'pipeline':
      return decidePipeline(event, config);
  }
}

function decidePipeline(event: PipelineEvent, config: ShipgateConfig): TriggerDecision {
  const attrs = event.object_attributes;
  const path = event.project.path_with_namespace;
  const project = findProject(config, path);
  if (!project) {
    return ignore(
      `project ${path} is not configured in Shipgate (configured: ${config.projects.map((p) => p.path).join(', ')})`,
    );
  }
  const pipeline = `pipeline ${attrs.id}`;
  if ((attrs.source && MERGE_REQUEST_SOURCES.has(attrs.source)) || event.merge_request) {
    const iid = event.merge_request?.iid;
    return ignore(
      `${pipeline} is a merge request pipeline${iid !== undefined ? ` (!${iid})` : ''} (source ${attrs.source ?? 'unknown'}); merge request pipelines never release`,
    );
  }
  if (attrs.source === 'parent_pipeline') {
    return ignore(`${pipeline} is a child pipeline (source parent_pipeline); its parent pipeline releases`);
  }
  if (attrs.status !== 'success') {
    return ignore(`${pipeline} status is ${attrs.status}; only success releases`);
  }
  const ref = shortRef(attrs.ref);
  if (attrs.tag) {
    const pattern = project.release.tags;
    if (!pattern) {
      return ignore(
        `${pipeline} ran for tag ${ref} but ${project.path} has no release.tags pattern; only its release branch releases`,
      );
    }
    if (!new RegExp(pattern).test(ref)) {
      return ignore(`${pipeline} ran for tag ${ref}, which does not match release.tags /${pattern}/`);
    }
  } else {
    const configured = project.release.branch;
    const branch = configured === 'default' ? event.project.default_branch : configured;
    if (!branch) {
      return ignore(
        `${pipeline} ran on ${ref} but GitLab reported no default branch for ${path}; set release.branch in the config`,
      );
    }
    if (ref !== branch) {
      return ignore(
        `${pipeline} ran on branch ${ref}; ${project.path} releases from ${branch}${configured === 'default' ? ' (its default branch)' : ''}`,
      );
    }
  }
  if (project.release.requireProtected && attrs.protected_ref === false) {
    return ignore(
      `${pipeline} ran on ${attrs.tag ? 'tag' : 'branch'} ${ref}, which GitLab reports as unprotected; protect it in GitLab or set release.requireProtected: false`,
    );
  }
  return { action: 'release', event, project, ref, tag: attrs.tag };
}
