import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';

/**
 * Builds authentic GitLab webhook deliveries (headers + raw body, optionally signed the way GitLab signs
 * with a `whsec_` signing token) from the fixtures in `test/fixtures/gitlab/`, which follow GitLab's
 * documented payload format with Shipgate's own sample projects (root/inventory-app id 12,
 * root/billing-app id 13, GitLab at http://192.168.56.11).
 *
 * @example
 * const d = gitlabDelivery(gitlabPayload('pipeline_success'), { token: 'fake-token' });
 * const res = await app.request('/webhooks/gitlab', deliveryInit(d));
 */

/** Fixture files under `test/fixtures/gitlab/` (without `.json`). */
export type GitlabFixture =
  | 'pipeline_success'
  | 'pipeline_failed'
  | 'pipeline_running'
  | 'pipeline_merge_request'
  | 'pipeline_tag_success'
  | 'push'
  | 'push_branch_delete'
  | 'tag_push'
  | 'tag_push_delete'
  | 'merge_request_open'
  | 'job'
  | 'deployment'
  | 'release';

/** Directory of the GitLab fixtures. */
export const GITLAB_FIXTURES_DIR = join(__dirname, '..', 'fixtures', 'gitlab');

/** The X-Gitlab-Event header GitLab sends for each `object_kind`. */
export const GITLAB_EVENT_HEADERS: Record<string, string> = {
  push: 'Push Hook',
  tag_push: 'Tag Push Hook',
  merge_request: 'Merge Request Hook',
  pipeline: 'Pipeline Hook',
  build: 'Job Hook',
  deployment: 'Deployment Hook',
  release: 'Release Hook',
  note: 'Note Hook',
  issue: 'Issue Hook',
};

/** Obviously fake secrets for tests (never real values). */
export const FAKE_WEBHOOK_TOKEN = 'test-only-gitlab-token-not-a-secret';
/** A `whsec_` key of 32 bytes, as GitLab generates signing tokens (fake). */
export const FAKE_SIGNING_KEY = `whsec_${Buffer.from('shipgate-test-signing-key-32byte').toString('base64')}`;

/** A GitLab payload: a JSON object. */
export type GitlabPayload = Record<string, unknown>;

/** A payload object of a fixture (a fresh copy each call, safe to modify). */
export function gitlabPayload(name: GitlabFixture): GitlabPayload {
  return JSON.parse(readFileSync(join(GITLAB_FIXTURES_DIR, `${name}.json`), 'utf8')) as GitlabPayload;
}

/**
 * Sets (or, with `undefined`, deletes) a value at a dotted path of a payload and returns the payload.
 * @example withField(gitlabPayload('pipeline_success'), 'project.path_with_namespace', 'root/unknown')
 */
export function withField<T extends GitlabPayload>(payload: T, path: string, value: unknown): T {
  const keys = path.split('.');
  let node = payload as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) {
    node[key] ??= {};
    node = node[key] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1];
  if (value === undefined) delete node[last];
  else node[last] = value;
  return payload;
}

/**
 * A pipeline payload from `pipeline_success` with attributes changed, e.g. `{ status: 'running' }`,
 * `{ protected_ref: false }`, `{ id: 99 }`. `protected_ref: undefined` removes the flag (older GitLab).
 */
export function pipelinePayload(
  attributes: Record<string, unknown> = {},
  base: GitlabFixture = 'pipeline_success',
): GitlabPayload {
  const payload = gitlabPayload(base);
  for (const [k, v] of Object.entries(attributes)) withField(payload, `object_attributes.${k}`, v);
  if (typeof attributes.sha === 'string') withField(payload, 'commit.id', attributes.sha);
  return payload;
}

/** Options of {@link gitlabDelivery}. */
export interface DeliveryOptions {
  /** X-Gitlab-Event; default from `object_kind`; `null` omits the header. */
  event?: string | null;
  /** X-Gitlab-Token to send (omitted when undefined). */
  token?: string;
  /** Sign with this `whsec_` key (Standard Webhooks headers). */
  signingKey?: string;
  /** Idempotency-Key (one per event in GitLab; reused on redelivery). Default: a new UUID; `null` omits it. */
  idempotencyKey?: string | null;
  /** webhook-timestamp in Unix seconds (default: now). */
  timestamp?: number;
  /** Content-Type (default `application/json`); `null` omits it. */
  contentType?: string | null;
  /** Extra or overriding headers. */
  headers?: Record<string, string>;
}

/** A delivery as GitLab sends it. */
export interface GitlabDelivery {
  headers: Record<string, string>;
  /** Raw body exactly as sent (and signed). */
  body: string;
}

/** `webhook-signature` value for a body, as GitLab computes it (`v1,<base64 HMAC-SHA256>`). */
export function signBody(
  signingKey: string,
  webhookId: string,
  timestampSeconds: number,
  body: string,
): string {
  return new Webhook(signingKey).sign(webhookId, new Date(timestampSeconds * 1000), body);
}

/**
 * Headers and body of a GitLab delivery: `Content-Type`, `User-Agent: GitLab/…`, `X-Gitlab-Event`,
 * `X-Gitlab-Instance`, `X-Gitlab-Webhook-UUID`, `X-Gitlab-Event-UUID`, `Idempotency-Key`, and, as asked,
 * `X-Gitlab-Token` and the Standard Webhooks `webhook-id` (= Idempotency-Key), `webhook-timestamp` and
 * `webhook-signature`.
 */
export function gitlabDelivery(payload: object | string, options: DeliveryOptions = {}): GitlabDelivery {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const kind = typeof payload === 'object' ? (payload as { object_kind?: string }).object_kind : undefined;
  const event = options.event === undefined ? GITLAB_EVENT_HEADERS[kind ?? ''] : options.event;
  const idempotencyKey = options.idempotencyKey === undefined ? randomUUID() : options.idempotencyKey;
  const headers: Record<string, string> = {
    'User-Agent': 'GitLab/18.6.1',
    'X-Gitlab-Instance': 'http://192.168.56.11',
    'X-Gitlab-Webhook-UUID': randomUUID(),
    'X-Gitlab-Event-UUID': randomUUID(),
  };
  if (options.contentType !== null) headers['Content-Type'] = options.contentType ?? 'application/json';
  if (event) headers['X-Gitlab-Event'] = event;
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
  if (options.token !== undefined) headers['X-Gitlab-Token'] = options.token;
  if (options.signingKey) {
    const id = idempotencyKey ?? randomUUID();
    const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
    headers['webhook-id'] = id;
    headers['webhook-timestamp'] = String(timestamp);
    headers['webhook-signature'] = signBody(options.signingKey, id, timestamp, body);
  }
  return { headers: { ...headers, ...options.headers }, body };
}

/** `RequestInit` for `app.request(path, init)` or `fetch(url, init)`. */
export function deliveryInit(delivery: GitlabDelivery, method = 'POST'): RequestInit {
  return { method, headers: delivery.headers, body: delivery.body };
}
