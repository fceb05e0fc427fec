import type { ShipgateConfig } from '../../shared/config';
import { getSecret as defaultGetSecret, type SecretName } from '../../shared/secrets';
import { gitlabRest, type GitlabRest } from './rest';

/** The GitLab API client Shipgate uses (./rest.ts: the calls it makes, on `fetch`). */
export type GitlabApi = GitlabRest;

/** Where GitLab is and how to authenticate; never logged. */
export interface GitlabSettings {
  /** Base URL without a trailing slash, e.g. `https://gitlab.example.com`. */
  url: string;
  token: string;
}

/** Dependencies for resolving GitLab settings. */
export interface GitlabSettingsDeps {
  env?: NodeJS.ProcessEnv;
  getSecret?: (name: SecretName) => Promise<string | undefined>;
}

/**
 * GitLab URL and token, or `undefined` when either is not configured (then GitLab feedback and report
 * reading are off). The URL is `SHIPGATE_GITLAB_URL` when set (the sandbox), else `gitlab.url` from the
 * config; the token is the `gitlabToken` secret.
 * @example const settings = await gitlabSettings(getConfig());
 */
export async function gitlabSettings(
  config: ShipgateConfig,
  { env = process.env, getSecret = (name) => defaultGetSecret(name, env) }: GitlabSettingsDeps = {},
): Promise<GitlabSettings | undefined> {
  const url = (env.SHIPGATE_GITLAB_URL || config.gitlab.url || '').replace(/\/+$/, '');
  if (!url) return undefined;
  const token = await getSecret('gitlabToken');
  if (!token) return undefined;
  return { url, token };
}

const clients = new Map<string, GitlabApi>();

/**
 * A GitLab client for these settings, created once per (URL, token, timeout) and reused. Every request is
 * aborted after `timeoutMs`, so a hanging GitLab cannot stall a caller.
 * @example const api = gitlabClient(settings, 3000); await api.Commits.editStatus(…);
 */
export function gitlabClient(settings: GitlabSettings, timeoutMs = 10_000): GitlabApi {
  const key = `${settings.url}\n${settings.token}\n${timeoutMs}`;
  let api = clients.get(key);
  if (!api) {
    api = gitlabRest({ host: settings.url, token: settings.token, timeoutMs });
    clients.set(key, api);
  }
  return api;
}

/** HTTP status of a failed GitLab request, when it got an answer. */
export function gitlabErrorStatus(err: unknown): number | undefined {
  const cause = (err as { cause?: { response?: { status?: unknown } } } | undefined)?.cause;
  const status = cause?.response?.status;
  return typeof status === 'number' ? status : undefined;
}

/**
 * A one-line, token-free description of a GitLab error for logs and CLI output (never the request, whose
 * headers carry the token).
 */
export function describeGitlabError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const status = gitlabErrorStatus(err);
  // Network failures surface as `TypeError: fetch failed` with the reason (ECONNREFUSED, ENOTFOUND…) in `cause`.
  const cause = err.cause as { code?: unknown; message?: unknown } | undefined;
  const code =
    typeof cause?.code === 'string' ? cause.code : err.name === 'TypeError' ? cause?.message : undefined;
  const message =
    err.message.replace(/\s+/g, ' ').slice(0, 300) || (status ? 'empty response body' : 'no message');
  return `${status ? `HTTP ${status} ` : ''}${err.name}: ${message}${typeof code === 'string' ? ` (${code})` : ''}`;
}
