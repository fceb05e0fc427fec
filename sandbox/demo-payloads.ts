/** What the demo sends: an image manifest with the sandbox's annotations and GitLab's pipeline webhook. */
import { createHash } from 'node:crypto';
import type { ProjectConfig, ShipgateConfig } from '../lambdas/shared/config';

/** An OCI image manifest with Shipgate's sandbox annotations (unique per service and commit). */
export function demoManifest(service: string, sha: string, annotations: Record<string, string> = {}): string {
  const config = JSON.stringify({
    architecture: 'arm64',
    os: 'linux',
    config: { Labels: { service, revision: sha } },
  });
  const layer = createHash('sha256').update(`${service}:${sha}:layer`).digest('hex');
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: `sha256:${createHash('sha256').update(config).digest('hex')}`,
      size: Buffer.byteLength(config),
    },
    layers: [
      { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${layer}`, size: 3145728 },
    ],
    annotations: {
      'org.opencontainers.image.revision': sha,
      'org.opencontainers.image.title': service,
      'org.opencontainers.image.created': new Date().toISOString(),
      ...annotations,
    },
  });
}

/** A stable numeric project id for a configured project (GitLab ids are numbers; the sandbox has no GitLab). */
export function demoProjectId(config: ShipgateConfig, project: ProjectConfig): number {
  return 100 + config.projects.indexOf(project);
}

/**
 * A GitLab "Pipeline Hook" payload for a successful pipeline on the project's default branch, in the format
 * GitLab documents (object_attributes, user, project, commit, builds).
 */
export function pipelineEvent(input: {
  projectId: number;
  path: string;
  sha: string;
  pipelineId: number;
  title: string;
  gitlabUrl: string;
}): Record<string, unknown> {
  const { projectId, path, sha, pipelineId, title, gitlabUrl } = input;
  const name = path.split('/').pop()!;
  const webUrl = `${gitlabUrl}/${path}`;
  const now = new Date();
  const fmt = (d: Date) =>
    d
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, ' UTC');
  const created = new Date(now.getTime() - 5 * 60 * 1000);
  const user = { id: 42, name: 'Sam Sandbox', username: 'sam', avatar_url: null, email: 'sam@shipgate.test' };
  const build = (id: number, stage: string, jobName: string) => ({
    id,
    stage,
    name: jobName,
    status: 'success',
    created_at: fmt(created),
    started_at: fmt(created),
    finished_at: fmt(now),
    duration: 120.5,
    queued_duration: 1.2,
    failure_reason: null,
    when: 'on_success',
    manual: false,
    allow_failure: false,
    user,
    runner: {
      id: 1,
      description: 'sandbox-runner',
      runner_type: 'instance_type',
      active: true,
      is_shared: true,
      tags: ['docker'],
    },
    artifacts_file: { filename: null, size: null },
    environment: null,
  });
  return {
    object_kind: 'pipeline',
    object_attributes: {
      id: pipelineId,
      iid: pipelineId % 1000,
      name: null,
      ref: 'main',
      tag: false,
      sha,
      before_sha: '0000000000000000000000000000000000000000',
      source: 'push',
      status: 'success',
      detailed_status: 'passed',
      stages: ['build', 'test', 'publish'],
      created_at: fmt(created),
      finished_at: fmt(now),
      duration: 300,
      queued_duration: 2,
      variables: [],
      url: `${webUrl}/-/pipelines/${pipelineId}`,
      protected_ref: true,
    },
    merge_request: null,
    user,
    project: {
      id: projectId,
      name,
      description: `Sample ${name} service`,
      web_url: webUrl,
      avatar_url: null,
      git_ssh_url: `git@${new URL(gitlabUrl).host}:${path}.git`,
      git_http_url: `${webUrl}.git`,
      namespace: path.split('/')[0],
      visibility_level: 0,
      path_with_namespace: path,
      default_branch: 'main',
      ci_config_path: null,
    },
    commit: {
      id: sha,
      message: `${title}\n`,
      title,
      timestamp: now.toISOString().replace(/\.\d+Z$/, '+00:00'),
      url: `${webUrl}/-/commit/${sha}`,
      author: { name: user.name, email: user.email },
    },
    builds: [
      build(pipelineId * 10 + 1, 'build', 'build-image'),
      build(pipelineId * 10 + 2, 'test', 'unit-tests'),
    ],
  };
}
