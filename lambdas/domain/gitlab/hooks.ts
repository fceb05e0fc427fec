import { scryptSync } from 'node:crypto';
import type { HookOptions } from './rest';
import type { ProjectConfig } from '../../shared/config';
import { describeGitlabError, gitlabErrorStatus, type GitlabApi } from './client';

/**
 * Project webhook setup (`shipgate gitlab hooks`): one hook per configured project pointing at Shipgate's
 * `/webhooks/gitlab`, with the events Shipgate validates and answers, the secret token, the signing token
 * where the GitLab version has them, SSL verification on, and the release branch as push filter. Idempotent:
 * GitLab never shows a hook's tokens, so Shipgate writes a slow-hash fingerprint of them into the hook's
 * description (GitLab 17.1+) and compares that on re-runs.
 */

/** Path of Shipgate's GitLab webhook route. */
export const WEBHOOK_PATH = '/webhooks/gitlab';

/** What the hook must look like. */
export interface HookSpec {
  /** Full URL of Shipgate's webhook route. */
  url: string;
  /** `X-Gitlab-Token` secret (SHIPGATE_WEBHOOK_TOKEN). */
  token?: string;
  /** Standard Webhooks signing key `whsec_…` (SHIPGATE_WEBHOOK_SIGNING_KEY). */
  signingKey?: string;
}

/** Outcome for one project. */
export interface HookResult {
  project: string;
  action: 'created' | 'updated' | 'unchanged' | 'would create' | 'would update' | 'failed';
  hookId?: number;
  /** What changed or why nothing did. */
  changes: string[];
  /** Things the operator should know (signing not supported, plain HTTP, token not verifiable). */
  warnings: string[];
  error?: string;
}

/** Hook event flags Shipgate turns on (it validates and answers all of them; pipelines start releases). */
const EVENTS_ON = {
  push_events: true,
  tag_push_events: true,
  merge_requests_events: true,
  pipeline_events: true,
  job_events: true,
  deployment_events: true,
  releases_events: true,
} as const;
/** Events Shipgate has no use for: kept off so GitLab does not send them. */
const EVENTS_OFF = {
  issues_events: false,
  confidential_issues_events: false,
  note_events: false,
  confidential_note_events: false,
  wiki_page_events: false,
} as const;

/** Human labels of the flags, for the one-line result. */
const LABEL: Record<string, string> = {
  url: 'URL',
  push_events_branch_filter: 'branch filter',
  branch_filter_strategy: 'branch filter strategy',
  enable_ssl_verification: 'SSL verification',
  description: 'token',
  signing_token: 'signing token',
};

/**
 * Fingerprint of the hook's secrets, safe to show in the hook description: scrypt (slow on purpose, so a
 * weak token cannot be guessed from it) salted with the project path, 16 hex characters.
 */
export function secretsFingerprint(
  projectPath: string,
  spec: Pick<HookSpec, 'token' | 'signingKey'>,
): string {
  return scryptSync(`${spec.token ?? ''}\n${spec.signingKey ?? ''}`, `shipgate-hook:${projectPath}`, 8, {
    N: 16384,
  }).toString('hex');
}

/** The hook description Shipgate writes (GitLab 17.1+ shows it on the Webhooks page). */
export function hookDescription(fingerprint: string): string {
  return `Managed by Shipgate (npx shipgate gitlab hooks). Secrets fingerprint ${fingerprint}.`;
}

/** True when a hook URL is Shipgate's webhook route (any host: the URL may have moved). */
export function isShipgateHookUrl(url: string): boolean {
  try {
    return new URL(url).pathname.replace(/\/+$/, '').endsWith(WEBHOOK_PATH);
  } catch {
    return false;
  }
}

type Hook = Record<string, unknown> & { id: number; url: string };

/**
 * Creates or updates Shipgate's webhook on one project (`dryRun`: only says what it would do). Never throws:
 * failures come back as `action: 'failed'` with the reason.
 */
export async function ensureProjectHook(
  api: GitlabApi,
  project: ProjectConfig,
  spec: HookSpec,
  { dryRun = false, force = false }: { dryRun?: boolean; force?: boolean } = {},
): Promise<HookResult> {
  const result: HookResult = { project: project.path, action: 'unchanged', changes: [], warnings: [] };
  try {
    const info = await api.Projects.show(project.path);
    const branch = project.release.branch === 'default' ? info.default_branch : project.release.branch;
    const https = spec.url.startsWith('https://');
    if (!https) {
      result.warnings.push(
        'plain http:// URL: deliveries and the secret token travel unencrypted; use https:// outside a lab',
      );
    }
    const fingerprint = secretsFingerprint(project.path, spec);
    const desired: Record<string, unknown> = {
      url: spec.url,
      ...EVENTS_ON,
      ...EVENTS_OFF,
      push_events_branch_filter: branch ?? '',
      // The filter is a branch name, not a regular expression (GitLab 16.2+ has strategies; older ignore it).
      branch_filter_strategy: 'wildcard',
      // Verification only applies to https; GitLab keeps the flag for http hooks, where it means nothing.
      enable_ssl_verification: https,
      name: 'Shipgate',
      description: hookDescription(fingerprint),
    };

    const hooks = (await api.ProjectHooks.all(info.id)) as unknown as Hook[];
    const existing = hooks.find((h) => h.url === spec.url) ?? hooks.find((h) => isShipgateHookUrl(h.url));
    const extra = hooks.filter((h) => h !== existing && isShipgateHookUrl(h.url));
    if (extra.length) {
      result.warnings.push(
        `other hooks also point at ${WEBHOOK_PATH}: ${extra.map((h) => `#${h.id} ${h.url}`).join(', ')}`,
      );
    }

    if (existing) {
      result.hookId = existing.id;
      const supportsDescription = 'description' in existing;
      for (const [key, value] of Object.entries(desired)) {
        if (key === 'name' || !(key in existing || key === 'url')) continue;
        if ((existing[key] ?? '') !== value) result.changes.push(LABEL[key] ?? key.replace(/_/g, ' '));
      }
      if (
        'signing_token_present' in existing &&
        Boolean(existing.signing_token_present) !== Boolean(spec.signingKey)
      ) {
        result.changes.push(spec.signingKey ? 'signing token' : 'signing token (remove)');
      }
      if (spec.signingKey && !('signing_token_present' in existing)) {
        result.warnings.push(signingUnsupported('hooks show no signing_token_present'));
      }
      if (!supportsDescription) {
        if (force) result.changes.push('token (forced)');
        else {
          result.warnings.push(
            'this GitLab does not show hook descriptions (before 17.1), so a changed token cannot be detected; pass --force to re-send the tokens',
          );
        }
      }
      if (result.changes.length === 0) return result;
    }

    if (dryRun) {
      result.action = existing ? 'would update' : 'would create';
      return result;
    }

    const options = {
      token: spec.token ?? '',
      ...camel({ ...desired, url: undefined }),
      ...(spec.signingKey
        ? { signingToken: spec.signingKey }
        : existing?.signing_token_present
          ? { signingToken: '' }
          : {}),
    } as HookOptions & { signingToken?: string; name?: string; description?: string };

    const write = (opts: typeof options) =>
      existing
        ? api.ProjectHooks.edit(info.id, existing.id, spec.url, opts)
        : api.ProjectHooks.add(info.id, spec.url, opts);

    let saved: Hook;
    try {
      saved = (await write(options)) as unknown as Hook;
    } catch (err) {
      const status = gitlabErrorStatus(err);
      if (!spec.signingKey || status !== 400 || !/signing/i.test(describeGitlabError(err))) throw err;
      // Older GitLab rejects the field: set the hook up with the secret token only, and say so.
      const { signingToken: _dropped, ...withoutSigning } = options;
      saved = (await write(withoutSigning)) as unknown as Hook;
      result.warnings.push(signingUnsupported(describeGitlabError(err)));
    }
    if (
      spec.signingKey &&
      !('signing_token_present' in saved) &&
      !result.warnings.some((w) => w.includes('signing'))
    ) {
      result.warnings.push(signingUnsupported('GitLab ignored signing_token'));
    }
    result.hookId = saved.id;
    result.action = existing ? 'updated' : 'created';
    if (!existing) result.changes = [];
    return result;
  } catch (err) {
    result.action = 'failed';
    const status = gitlabErrorStatus(err);
    result.error =
      status === 404
        ? `project not found, or the GitLab token cannot see it (${describeGitlabError(err)})`
        : status === 403 || status === 401
          ? `the GitLab token may not manage hooks (needs the Maintainer role and the api scope): ${describeGitlabError(err)}`
          : describeGitlabError(err);
    return result;
  }
}

function signingUnsupported(why: string): string {
  return `this GitLab does not support webhook signing tokens (${why}); deliveries carry only X-Gitlab-Token, which Shipgate rejects while SHIPGATE_WEBHOOK_SIGNING_KEY is set: unset it or upgrade GitLab`;
}

function camel(flags: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(flags)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), v]),
  );
}

/** One line per project, never containing a token. */
export function formatHookResult(r: HookResult, url: string): string {
  const head =
    r.action === 'failed'
      ? `${r.project}: FAILED: ${r.error}`
      : r.action === 'unchanged'
        ? `${r.project}: unchanged (hook #${r.hookId} already up to date)`
        : r.action === 'created'
          ? `${r.project}: created hook #${r.hookId} → ${url}`
          : r.action === 'would create'
            ? `${r.project}: would create a hook → ${url}`
            : `${r.project}: ${r.action} hook #${r.hookId} (${r.changes.join(', ')})`;
  return [head, ...r.warnings.map((w) => `  warning: ${w}`)].join('\n');
}
