import { jsonDepth, parseGitlabEvent } from '../../../lambdas/domain/webhook/events';
import {
  GITLAB_EVENT_HEADERS,
  gitlabPayload,
  withField,
  type GitlabFixture,
} from '../../helpers/gitlab-deliveries';

const FIXTURES: GitlabFixture[] = [
  'pipeline_success',
  'pipeline_failed',
  'pipeline_running',
  'pipeline_merge_request',
  'pipeline_tag_success',
  'push',
  'push_branch_delete',
  'tag_push',
  'tag_push_delete',
  'merge_request_open',
  'job',
  'deployment',
  'release',
];

describe('parseGitlabEvent', () => {
  it.each(FIXTURES)('validates the %s fixture with its X-Gitlab-Event header', (name) => {
    const payload = gitlabPayload(name);
    const event = parseGitlabEvent(
      GITLAB_EVENT_HEADERS[payload.object_kind as string],
      JSON.stringify(payload),
    );
    expect(event.object_kind).toBe(payload.object_kind);
  });

  it('keeps unknown extra fields (GitLab adds fields over time)', () => {
    const payload = withField(gitlabPayload('pipeline_success'), 'object_attributes.shiny_new_field', {
      a: 1,
    });
    const event = parseGitlabEvent('Pipeline Hook', JSON.stringify(payload)) as { object_attributes: object };
    expect(event.object_attributes).toHaveProperty('shiny_new_field', { a: 1 });
  });

  it('accepts "System Hook" with any object_kind and the historic "Build Hook" for jobs', () => {
    expect(parseGitlabEvent('System Hook', JSON.stringify(gitlabPayload('tag_push'))).object_kind).toBe(
      'tag_push',
    );
    expect(parseGitlabEvent('Build Hook', JSON.stringify(gitlabPayload('job'))).object_kind).toBe('build');
  });

  it('rejects a header that disagrees with object_kind', () => {
    expect(() => parseGitlabEvent('Job Hook', JSON.stringify(gitlabPayload('deployment')))).toThrow(
      /"Job Hook" does not match the body's object_kind "deployment" \(expected "Deployment Hook"\)/,
    );
  });

  it('treats group and system events that carry only event_name as authentic but unsupported', () => {
    const body = JSON.stringify({ event_name: 'user_add_to_group', group_id: 3, user_username: 'dana' });
    expect(parseGitlabEvent('Member Hook', body)).toEqual({
      object_kind: 'user_add_to_group',
      unsupported: true,
    });
    expect(parseGitlabEvent('System Hook', JSON.stringify({ event_name: 'project_create' }))).toEqual({
      object_kind: 'project_create',
      unsupported: true,
    });
  });

  it('rejects a body without object_kind', () => {
    expect(() => parseGitlabEvent('Push Hook', '{"ref":"refs/heads/main"}')).toThrow(
      /no "object_kind" string/,
    );
  });

  it('is strict on the fields it reads: a pipeline id as a string is refused with its path', () => {
    const payload = withField(gitlabPayload('pipeline_success'), 'object_attributes.id', '4711');
    expect(() => parseGitlabEvent('Pipeline Hook', JSON.stringify(payload))).toThrow(
      /object_attributes\.id: Invalid input: expected number, received string/,
    );
  });

  it('requires the tag flag of pipelines, since refs are short names', () => {
    const payload = withField(gitlabPayload('pipeline_tag_success'), 'object_attributes.tag', undefined);
    expect(() => parseGitlabEvent('Pipeline Hook', JSON.stringify(payload))).toThrow(
      /object_attributes\.tag/,
    );
  });

  it('accepts a branch deletion with a null checkout_sha', () => {
    const event = parseGitlabEvent('Push Hook', JSON.stringify(gitlabPayload('push_branch_delete')));
    expect(event).toMatchObject({ after: '0000000000000000000000000000000000000000', checkout_sha: null });
  });
});

describe('jsonDepth', () => {
  it('counts nesting and ignores brackets inside strings', () => {
    expect(jsonDepth('{"a":[{"b":1}]}')).toBe(3);
    expect(jsonDepth('{"a":"[[[[{{{{"}')).toBe(1);
    expect(jsonDepth('{"a":"\\"[["}')).toBe(1);
  });

  it('stops early on hostile depth', () => {
    expect(jsonDepth('['.repeat(1_000_000), 64)).toBe(65);
  });
});
