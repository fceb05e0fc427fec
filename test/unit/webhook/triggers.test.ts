import { parseGitlabEvent, type GitlabEvent } from '../../../lambdas/domain/webhook/events';
import { decideTrigger, shortRef } from '../../../lambdas/domain/webhook/triggers';
import type { ShipgateConfig } from '../../../lambdas/shared/config';
import {
  GITLAB_EVENT_HEADERS,
  gitlabPayload,
  pipelinePayload,
  withField,
  type GitlabPayload,
} from '../../helpers/gitlab-deliveries';
import { TEST_CONFIG } from './harness';

const event = (payload: GitlabPayload) =>
  parseGitlabEvent(
    GITLAB_EVENT_HEADERS[payload.object_kind as string],
    JSON.stringify(payload),
  ) as GitlabEvent;
const decide = (payload: GitlabPayload, config = TEST_CONFIG) => decideTrigger(event(payload), config);

/** TEST_CONFIG with inventory-app's release rules changed. */
function withRelease(release: Partial<ShipgateConfig['projects'][number]['release']>): ShipgateConfig {
  return {
    ...TEST_CONFIG,
    projects: TEST_CONFIG.projects.map((p) =>
      p.path === 'root/inventory-app' ? { ...p, release: { ...p.release, ...release } } : p,
    ),
  };
}

describe('decideTrigger: pipelines', () => {
  it('releases a successful pipeline on the default branch', () => {
    expect(decide(gitlabPayload('pipeline_success'))).toMatchObject({
      action: 'release',
      ref: 'main',
      tag: false,
      project: { path: 'root/inventory-app' },
    });
  });

  it('uses the default branch GitLab reports, not a hard-coded "main"', () => {
    const payload = withField(pipelinePayload({ ref: 'trunk' }), 'project.default_branch', 'trunk');
    expect(decide(payload)).toMatchObject({ action: 'release', ref: 'trunk' });
  });

  it('releases from a configured release branch instead of the default branch', () => {
    const config = withRelease({ branch: 'release' });
    expect(decide(pipelinePayload({ ref: 'release' }), config)).toMatchObject({ action: 'release' });
    expect(decide(pipelinePayload(), config)).toEqual({
      action: 'ignore',
      reason: 'pipeline 4711 ran on branch main; root/inventory-app releases from release',
    });
  });

  it('matches project paths case-insensitively, as GitLab paths are', () => {
    const payload = withField(
      gitlabPayload('pipeline_success'),
      'project.path_with_namespace',
      'Root/Inventory-App',
    );
    expect(decide(payload).action).toBe('release');
  });

  it.each(['failed', 'running', 'canceled', 'skipped', 'manual', 'pending', 'created'])(
    'ignores status %s with a reason naming pipeline and status',
    (status) => {
      expect(decide(pipelinePayload({ status }))).toEqual({
        action: 'ignore',
        reason: `pipeline 4711 status is ${status}; only success releases`,
      });
    },
  );

  it('never releases a merge request pipeline, even one GitLab ran on the default branch', () => {
    const payload = pipelinePayload({ ref: 'main' }, 'pipeline_merge_request');
    expect(decide(payload)).toMatchObject({
      action: 'ignore',
      reason: expect.stringMatching(/merge request pipeline/),
    });
  });

  it('never releases a pipeline carrying a merge_request object whatever its source', () => {
    const payload = withField(pipelinePayload({ source: 'push' }), 'merge_request', { id: 1, iid: 7 });
    expect(decide(payload).action).toBe('ignore');
  });

  it('ignores child pipelines: their parent releases', () => {
    expect(decide(pipelinePayload({ source: 'parent_pipeline' }))).toMatchObject({
      action: 'ignore',
      reason: expect.stringMatching(/child pipeline/),
    });
  });

  it('never releases a ref GitLab reports as unprotected when requireProtected', () => {
    expect(decide(pipelinePayload({ protected_ref: false })).action).toBe('ignore');
  });

  it('releases an unprotected ref when requireProtected is off', () => {
    const config = withRelease({ requireProtected: false });
    expect(decide(pipelinePayload({ protected_ref: false }), config).action).toBe('release');
  });

  it('treats a missing protected_ref as unknown: the branch rule decides', () => {
    expect(decide(pipelinePayload({ protected_ref: undefined })).action).toBe('release');
    expect(decide(pipelinePayload({ protected_ref: undefined, ref: 'feature/x' })).action).toBe('ignore');
  });

  it('ignores a pipeline when GitLab reports no default branch and the config relies on it', () => {
    const payload = withField(pipelinePayload(), 'project.default_branch', null);
    expect(decide(payload)).toMatchObject({
      action: 'ignore',
      reason: expect.stringMatching(/no default branch.*set release.branch/),
    });
  });

  it('releases a tag pipeline whose tag matches release.tags', () => {
    expect(decide(gitlabPayload('pipeline_tag_success'))).toMatchObject({
      action: 'release',
      ref: 'v1.4.0',
      tag: true,
    });
  });

  it('does not treat a tag named like the default branch as the branch', () => {
    const payload = withField(
      pipelinePayload({ ref: 'main', tag: true }),
      'project.path_with_namespace',
      'root/inventory-app',
    );
    expect(decide(payload)).toMatchObject({
      action: 'ignore',
      reason: expect.stringMatching(/no release.tags pattern/),
    });
  });

  it('ignores a tag pipeline whose tag does not match, and an unprotected matching tag', () => {
    expect(decide(pipelinePayload({ ref: 'v1.4.0-rc1' }, 'pipeline_tag_success')).action).toBe('ignore');
    expect(decide(pipelinePayload({ protected_ref: false }, 'pipeline_tag_success'))).toMatchObject({
      action: 'ignore',
      reason: expect.stringMatching(/tag v1.4.0, which GitLab reports as unprotected/),
    });
  });

  it('ignores unknown projects, listing the configured ones', () => {
    const payload = withField(gitlabPayload('pipeline_success'), 'project.path_with_namespace', 'other/app');
    expect(decide(payload)).toEqual({
      action: 'ignore',
      reason:
        'project other/app is not configured in Shipgate (configured: root/api-gateway, root/inventory-app, root/billing-app)',
    });
  });
});

describe('decideTrigger: other events never release', () => {
  it.each([
    ['push', /push to branch main/],
    ['push_branch_delete', /deleted.*deletions never release/],
    ['tag_push', /tag v1.4.0 was pushed/],
    ['tag_push_delete', /tag v1.3.9 was deleted/],
    ['merge_request_open', /merge request !42/],
    ['job', /job 9102/],
    ['deployment', /deployment 77/],
    ['release', /release v1.4.0/],
  ] as const)('%s', (fixture, reason) => {
    expect(decide(gitlabPayload(fixture))).toEqual({
      action: 'ignore',
      reason: expect.stringMatching(reason),
    });
  });
});

describe('shortRef', () => {
  it('normalises full refs to short names', () => {
    expect(shortRef('refs/heads/feature/x')).toBe('feature/x');
    expect(shortRef('refs/tags/v1.0.0')).toBe('v1.0.0');
    expect(shortRef('main')).toBe('main');
  });
});
