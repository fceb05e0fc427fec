import * as z from '../../shared/zod';
import { formatIssues } from '../../shared/config';
import { BadRequestError } from '../../shared/errors';

/**
 * zod schemas of the GitLab webhook events Shipgate reads, written against GitLab's documented payloads
 * (`doc/user/project/integrations/webhook_events.md`). Every object is loose: GitLab adds fields release
 * after release, and unknown ones must never make a delivery fail. The fields Shipgate uses are strict.
 */

const sha40 = z.string().check(z.regex(/^[0-9a-f]{40}$/, 'expected a 40-character hexadecimal commit SHA'));
const id = z.number().check(z.int(), z.nonnegative());

/** `project` object shared by most events. */
export const projectSchema = z.looseObject({
  id,
  path_with_namespace: z.string().check(z.minLength(1)),
  web_url: z.optional(z.string()),
  /** `null` for an empty repository. */
  default_branch: z.optional(z.nullable(z.string())),
});

const userSchema = z.looseObject({
  username: z.string(),
  name: z.optional(z.nullable(z.string())),
  /** GitLab may send `[REDACTED]`, `""` or null here. */
  email: z.optional(z.nullable(z.string())),
});

/** `Pipeline Hook` (`object_kind: pipeline`). */
export const pipelineEventSchema = z.looseObject({
  object_kind: z.literal('pipeline'),
  object_attributes: z.looseObject({
    id,
    /** Short ref name (`main`, `v1.2.3`); `tag` says which. */
    ref: z.string().check(z.minLength(1)),
    tag: z.boolean(),
    sha: sha40,
    /** push, web, trigger, schedule, api, merge_request_event, parent_pipeline, … */
    source: z.optional(z.string()),
    /** created, pending, running, success, failed, canceled, skipped, manual, … */
    status: z.string().check(z.minLength(1)),
    /** GitLab always sends it ("2026-11-21 23:52:09 UTC"); without it a release would date from 1970. */
    created_at: z
      .string({ error: 'created_at is required: GitLab sends it with every pipeline event' })
      .check(
        z.refine((s) => Number.isFinite(Date.parse(s)), {
          error: 'created_at must be a time such as "2026-11-21 23:52:09 UTC"',
        }),
      ),
    finished_at: z.optional(z.nullable(z.string())),
    url: z.optional(z.string()),
    /** Absent on older GitLab: unknown, not false. */
    protected_ref: z.optional(z.boolean()),
  }),
  merge_request: z.optional(z.nullable(z.looseObject({ iid: z.optional(z.number().check(z.int())) }))),
  user: z.optional(z.nullable(userSchema)),
  project: projectSchema,
  commit: z.optional(
    z.nullable(
      z.looseObject({
        id: z.optional(z.string()),
        message: z.optional(z.nullable(z.string())),
        title: z.optional(z.nullable(z.string())),
        url: z.optional(z.string()),
        timestamp: z.optional(z.string()),
        author: z.optional(
          z.looseObject({ name: z.optional(z.string()), email: z.optional(z.nullable(z.string())) }),
        ),
      }),
    ),
  ),
});

const pushShape = {
  before: z.string(),
  /** 40 zeros when the ref was deleted. */
  after: z.string(),
  /** Full ref: `refs/heads/main`, `refs/tags/v1.0.0`. */
  ref: z.string().check(z.minLength(1)),
  /** null on deletion. */
  checkout_sha: z.optional(z.nullable(z.string())),
  ref_protected: z.optional(z.boolean()),
  user_username: z.optional(z.string()),
  project_id: id,
  project: projectSchema,
  total_commits_count: z.optional(z.number().check(z.int())),
};

/** `Push Hook` (`object_kind: push`). */
export const pushEventSchema = z.looseObject({ object_kind: z.literal('push'), ...pushShape });

/** `Tag Push Hook` (`object_kind: tag_push`). */
export const tagPushEventSchema = z.looseObject({ object_kind: z.literal('tag_push'), ...pushShape });

/** `Merge Request Hook` (`object_kind: merge_request`). */
export const mergeRequestEventSchema = z.looseObject({
  object_kind: z.literal('merge_request'),
  project: projectSchema,
  object_attributes: z.looseObject({
    iid: z.number().check(z.int()),
    action: z.optional(z.string()),
    state: z.string(),
    source_branch: z.string(),
    target_branch: z.string(),
  }),
});

/** `Job Hook` (`object_kind: build`). Note `commit.id` there is the pipeline id, not a SHA. */
export const jobEventSchema = z.looseObject({
  object_kind: z.literal('build'),
  ref: z.string(),
  tag: z.boolean(),
  sha: z.string(),
  build_id: id,
  build_name: z.string(),
  build_status: z.string(),
  pipeline_id: id,
  project_id: id,
  project: z.optional(projectSchema),
  project_name: z.optional(z.string()),
});

/** `Deployment Hook` (`object_kind: deployment`). */
export const deploymentEventSchema = z.looseObject({
  object_kind: z.literal('deployment'),
  status: z.string(),
  deployment_id: id,
  environment: z.string(),
  short_sha: z.optional(z.string()),
  project: projectSchema,
});

/** `Release Hook` (`object_kind: release`). */
export const releaseEventSchema = z.looseObject({
  object_kind: z.literal('release'),
  action: z.string(),
  tag: z.string(),
  project: projectSchema,
});

export type PipelineEvent = z.infer<typeof pipelineEventSchema>;
export type PushEvent = z.infer<typeof pushEventSchema>;
export type TagPushEvent = z.infer<typeof tagPushEventSchema>;
export type MergeRequestEvent = z.infer<typeof mergeRequestEventSchema>;
export type JobEvent = z.infer<typeof jobEventSchema>;
export type DeploymentEvent = z.infer<typeof deploymentEventSchema>;
export type ReleaseEvent = z.infer<typeof releaseEventSchema>;

/** A validated GitLab event Shipgate reads. */
export type GitlabEvent =
  PipelineEvent | PushEvent | TagPushEvent | MergeRequestEvent | JobEvent | DeploymentEvent | ReleaseEvent;

/** An authentic event of a kind GitLab sends but Shipgate does not read (note, issue, wiki page, …). */
export interface OtherGitlabEvent {
  object_kind: string;
  unsupported: true;
}

const SCHEMAS = {
  pipeline: pipelineEventSchema,
  push: pushEventSchema,
  tag_push: tagPushEventSchema,
  merge_request: mergeRequestEventSchema,
  build: jobEventSchema,
  deployment: deploymentEventSchema,
  release: releaseEventSchema,
} as const;

/**
 * `object_kind` → the `X-Gitlab-Event` header GitLab sends with it (`WebHookService.hook_to_event`).
 * `System Hook` goes with any kind.
 */
export const EVENT_HEADERS: Readonly<Record<string, readonly string[]>> = {
  push: ['Push Hook'],
  tag_push: ['Tag Push Hook'],
  merge_request: ['Merge Request Hook'],
  pipeline: ['Pipeline Hook'],
  // "Build Hook" is what GitLab sent before job hooks were renamed.
  build: ['Job Hook', 'Build Hook'],
  deployment: ['Deployment Hook'],
  release: ['Release Hook'],
  note: ['Note Hook', 'Confidential Note Hook'],
  issue: ['Issue Hook', 'Confidential Issue Hook'],
  work_item: ['Issue Hook', 'Confidential Issue Hook'],
  wiki_page: ['Wiki Page Hook'],
  feature_flag: ['Feature Flag Hook'],
  milestone: ['Milestone Hook'],
  emoji: ['Emoji Hook'],
  access_token: ['Resource Access Token Hook'],
  vulnerability: ['Vulnerability Hook'],
};

/** Every `X-Gitlab-Event` value GitLab is known to send. */
export const KNOWN_EVENT_HEADERS: ReadonlySet<string> = new Set([
  ...Object.values(EVENT_HEADERS).flat(),
  'System Hook',
  'Member Hook',
  'Project Hook',
  'Subgroup Hook',
]);

/** Headers whose payloads may carry `event_name` instead of `object_kind`. */
const EVENTS_WITHOUT_OBJECT_KIND: ReadonlySet<string> = new Set([
  'System Hook',
  'Member Hook',
  'Project Hook',
  'Subgroup Hook',
]);

/** Deepest JSON nesting accepted; GitLab payloads stay below 10 levels. */
export const MAX_JSON_DEPTH = 64;

/**
 * Nesting depth of a JSON text, counted without parsing (brackets inside strings are skipped). Stops
 * counting once `limit` is exceeded, so a hostile body costs one linear scan.
 */
export function jsonDepth(text: string, limit = MAX_JSON_DEPTH): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c)
        i++; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) {
      inString = true;
    } else if (ch === 0x7b || ch === 0x5b) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (ch === 0x7d || ch === 0x5d) {
      depth--;
    }
  }
  return max;
}

/**
 * Parses and validates a delivery body against its `X-Gitlab-Event` header.
 *
 * @returns the validated event, or `{ unsupported: true }` for authentic kinds Shipgate does not read.
 * @throws BadRequestError when the header is missing or unknown, the body is not JSON (or nested deeper
 *   than {@link MAX_JSON_DEPTH}), `object_kind` disagrees with the header, or a field Shipgate reads is
 *   missing or has the wrong type.
 * @example parseGitlabEvent('Pipeline Hook', rawBody) // { object_kind: 'pipeline', object_attributes: … }
 */
export function parseGitlabEvent(
  eventHeader: string | undefined | null,
  rawBody: string,
): GitlabEvent | OtherGitlabEvent {
  const header = eventHeader?.trim();
  if (!header) {
    throw new BadRequestError(
      'Missing X-Gitlab-Event header. GitLab sends it with every webhook delivery; send deliveries from a GitLab webhook or set the header (e.g. "Pipeline Hook").',
    );
  }
  if (!KNOWN_EVENT_HEADERS.has(header)) {
    throw new BadRequestError(
      `Unknown X-Gitlab-Event "${header.slice(0, 100)}"; expected a GitLab event such as "Pipeline Hook", "Push Hook", "Tag Push Hook", "Merge Request Hook", "Job Hook", "Deployment Hook", "Release Hook" or "System Hook".`,
    );
  }
  const depth = jsonDepth(rawBody);
  if (depth > MAX_JSON_DEPTH) {
    throw new BadRequestError(
      `Body is JSON nested more than ${MAX_JSON_DEPTH} levels deep; GitLab payloads are far shallower, so this is not a GitLab delivery.`,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch (err) {
    throw new BadRequestError(
      `Body is not valid JSON (${(err as Error).message}); received ${rawBody.length} characters. The delivery may have been truncated.`,
      { cause: err },
    );
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestError(
      `Body must be a JSON object with "object_kind"; received ${Array.isArray(body) ? 'an array' : `a ${body === null ? 'null' : typeof body}`}.`,
    );
  }
  const kind = (body as { object_kind?: unknown }).object_kind;
  const eventName = (body as { event_name?: unknown }).event_name;
  if (
    kind === undefined &&
    typeof eventName === 'string' &&
    eventName !== '' &&
    EVENTS_WITHOUT_OBJECT_KIND.has(header)
  ) {
    // Group member/project/subgroup events and system events carry only `event_name`.
    return { object_kind: eventName.slice(0, 50), unsupported: true };
  }
  if (typeof kind !== 'string' || kind === '') {
    throw new BadRequestError(
      `Body has no "object_kind" string (received ${JSON.stringify(kind) ?? 'nothing'}); every GitLab event payload carries one.`,
    );
  }
  const allowedHeaders = EVENT_HEADERS[kind];
  if (header !== 'System Hook' && !allowedHeaders?.includes(header)) {
    throw new BadRequestError(
      `X-Gitlab-Event "${header}" does not match the body's object_kind "${kind.slice(0, 50)}"` +
        (allowedHeaders
          ? ` (expected "${allowedHeaders[0]}")`
          : ' (not a kind GitLab sends with that header)') +
        '. The header and the payload must describe the same event.',
    );
  }
  const schema = SCHEMAS[kind as keyof typeof SCHEMAS];
  if (!schema) {
    return { object_kind: kind, unsupported: true };
  }
  const result = schema.safeParse(body);
  if (!result.success) {
    throw new BadRequestError(
      `Invalid ${kind} event payload:\n${formatIssues(result.error.issues)}\nShipgate needs these fields as GitLab documents them.`,
    );
  }
  return result.data;
}
