/**
 * The GitLab REST API (v4) calls Shipgate makes, on `fetch`: commit statuses, deployments, freeze periods,
 * pipeline jobs and their artifacts, projects, project hooks, repository compare and commits, and the current user (`shipgate doctor`).
 *
 * Why not `@gitbeaker/rest`: it builds every resource of the API (`import * as CORE`), so a bundle that
 * sets one commit status carried about 250 KB of it and its requester (rate-limiter-flexible, qs with its
 * polyfills, picomatch) — a quarter of each Lambda's bundle and of its cold start (issue 32). Shipgate makes
 * fifteen calls; each is written here against GitLab's API reference, with the same paths, parameters and
 * answers gitbeaker sent and returned (snake_case JSON, camelCase options written as snake_case, `link`
 * pagination), and the same error shape (`cause.response.status`), so callers did not change.
 * Retries and bounded waits stay with the callers (`bestEffort` in ./retry.ts); this client tries once, and
 * every request is aborted after `timeoutMs`.
 */

/** A GitLab answer that was not 2xx: `message` is GitLab's `message`/`error` text, `cause.response` the answer. */
export class GitlabRequestError extends Error {
  override readonly name = 'GitlabRequestError';
  constructor(description: string, response: { status: number; statusText: string }) {
    super(description || `${response.status} ${response.statusText}`.trim(), {
      cause: { description, response },
    });
  }
}

/** One JSON object of a GitLab answer (fields as GitLab names them, snake_case). */
export type GitlabRecord = Record<string, unknown>;

/** A deployment as `GET /projects/:id/deployments` lists it (fields Shipgate reads). */
export interface GitlabDeployment extends GitlabRecord {
  id: number;
  sha: string;
  status: string;
}

/** A freeze period (`GET /projects/:id/freeze_periods`). */
export interface GitlabFreezePeriod extends GitlabRecord {
  freeze_start: string;
  freeze_end: string;
  cron_timezone?: string;
}

/** A pipeline job (`GET /projects/:id/pipelines/:pipeline_id/jobs`, fields Shipgate reads). */
export interface GitlabJob extends GitlabRecord {
  id: number;
  name: string;
  stage?: string;
  status?: string;
  artifacts?: { file_type: string; filename: string; size?: number; file_format?: string | null }[];
  artifacts_file?: { filename: string; size: number };
}

/** A project (`GET /projects/:id`). */
export interface GitlabProject extends GitlabRecord {
  id: number;
  default_branch?: string;
  path_with_namespace?: string;
}

/** Options of a project hook write (camelCase, written as GitLab's snake_case fields). */
export type HookOptions = Record<string, unknown>;

/** Where the client talks to. */
export interface GitlabRestOptions {
  /** Base URL of the GitLab instance, e.g. `https://gitlab.example.com`. */
  host: string;
  /** A personal, project or group access token (sent as `PRIVATE-TOKEN`; never logged). */
  token: string;
  /** Abort each request after this many ms. @default 10000 */
  timeoutMs?: number;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** Most pages a list call follows (GitLab's `per_page` defaults to 20; 100 pages is more than any list here). */
const MAX_PAGES = 100;

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** `{ orderBy: 'id' }` → `{ order_by: 'id' }`, dropping `undefined` (gitbeaker's `decamelizeKeys`, one level). */
function snakeKeys(options: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options ?? {})) if (v !== undefined) out[snake(k)] = v;
  return out;
}

/** Path segments are percent-encoded (a project path `group/app` becomes `group%2Fapp`). */
function path(strings: TemplateStringsArray, ...values: (string | number)[]): string {
  return strings.reduce(
    (acc, s, i) => acc + s + (i < values.length ? encodeURIComponent(String(values[i])) : ''),
    '',
  );
}

/** The `rel="next"` URL of a `link` header. */
function nextLink(link: string | null): string | undefined {
  return link ? /<([^>]+)>;\s*rel="next"/.exec(link)?.[1] : undefined;
}

/**
 * A GitLab REST client with the call shapes of gitbeaker's `Gitlab` for the calls Shipgate makes.
 * @example const api = gitlabRest({ host, token }); await api.Commits.editStatus(7, sha, 'running', { name: 'shipgate/staging' });
 */
export function gitlabRest(options: GitlabRestOptions) {
  const base = `${options.host.replace(/\/+$/, '')}/api/v4/`;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const doFetch = options.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args));

  async function request(method: string, url: string, body?: Record<string, unknown>): Promise<Response> {
    const response = await doFetch(url.startsWith('http') ? url : base + url, {
      method,
      headers: {
        'PRIVATE-TOKEN': options.token,
        Accept: 'application/json',
        ...(body ? { 'Content-Type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (response.ok) return response;
    const text = await response.text().catch(() => '');
    let description = text;
    if (response.headers.get('content-type')?.includes('application/json')) {
      try {
        const parsed = JSON.parse(text) as { message?: unknown; error?: unknown };
        const m = parsed?.error ?? parsed?.message ?? '';
        description = typeof m === 'string' ? m : JSON.stringify(m);
      } catch {
        // Not JSON after all: keep the text.
      }
    }
    throw new GitlabRequestError(description.slice(0, 2000), {
      status: response.status,
      statusText: response.statusText,
    });
  }

  const query = (params: Record<string, unknown> | undefined) => {
    const entries = Object.entries(snakeKeys(params)).map(([k, v]) => [k, String(v)]);
    return entries.length ? `?${new URLSearchParams(entries).toString()}` : '';
  };

  async function json<T>(method: string, url: string, body?: Record<string, unknown>): Promise<T> {
    const response = await request(method, url, body);
    if (response.status === 204) return null as T;
    const text = await response.text();
    return (text ? JSON.parse(text) : {}) as T;
  }

  /** A list: every page (following `link: rel="next"`), or only the one asked for when `page` is given. */
  async function list<T>(url: string, params?: Record<string, unknown>): Promise<T[]> {
    let response = await request('GET', url + query(params));
    const out = (await response.json()) as T[];
    if (params?.page !== undefined) return out;
    for (let pages = 1; pages < MAX_PAGES; pages += 1) {
      const next = nextLink(response.headers.get('link'));
      if (!next) break;
      // The token goes only where the configured GitLab is: a `link` elsewhere (another host, scheme or port,
      // from a proxy or a wrong external_url) is not followed.
      if (!sameApi(next, base)) {
        throw new Error(`GitLab's next-page link leaves ${new URL(base).origin}; not followed`);
      }
      response = await request('GET', next);
      out.push(...((await response.json()) as T[]));
    }
    return out;
  }

  return {
    Commits: {
      /** `POST /projects/:id/statuses/:sha` */
      editStatus: (projectId: number | string, sha: string, state: string, opts?: Record<string, unknown>) =>
        json<GitlabRecord>('POST', path`projects/${projectId}/statuses/${sha}`, {
          state,
          ...snakeKeys(opts),
        }),
      /** `GET /projects/:id/repository/commits/:sha` */
      show: (projectId: number | string, sha: string) =>
        json<GitlabRecord>('GET', path`projects/${projectId}/repository/commits/${sha}`),
      /** `GET /projects/:id/repository/commits/:sha/merge_requests` */
      allMergeRequests: (projectId: number | string, sha: string) =>
        list<GitlabRecord>(path`projects/${projectId}/repository/commits/${sha}/merge_requests`),
    },
    Deployments: {
      /** `GET /projects/:id/deployments` */
      all: (projectId: number | string, params?: Record<string, unknown>) =>
        list<GitlabDeployment>(path`projects/${projectId}/deployments`, params),
      /** `POST /projects/:id/deployments` */
      create: (
        projectId: number | string,
        environment: string,
        sha: string,
        ref: string,
        tag: boolean,
        opts?: Record<string, unknown>,
      ) =>
        json<GitlabDeployment>('POST', path`projects/${projectId}/deployments`, {
          environment,
          sha,
          ref,
          tag,
          ...snakeKeys(opts),
        }),
      /** `PUT /projects/:id/deployments/:deployment_id` */
      edit: (projectId: number | string, deploymentId: number, status: string) =>
        json<GitlabDeployment>('PUT', path`projects/${projectId}/deployments/${deploymentId}`, { status }),
    },
    FreezePeriods: {
      /** `GET /projects/:id/freeze_periods` */
      all: (projectId: number | string) =>
        list<GitlabFreezePeriod>(path`projects/${projectId}/freeze_periods`),
    },
    Jobs: {
      /** `GET /projects/:id/pipelines/:pipeline_id/jobs` */
      all: (projectId: number | string, { pipelineId }: { pipelineId: number }) =>
        list<GitlabJob>(path`projects/${projectId}/pipelines/${pipelineId}/jobs`),
    },
    JobArtifacts: {
      /** `GET /projects/:id/jobs/:job_id/artifacts/*artifact_path`: one file of the job's archive, as a Blob. */
      downloadArchive: async (
        projectId: number | string,
        { jobId, artifactPath }: { jobId: number; artifactPath: string },
      ): Promise<Blob> =>
        (
          await request(
            'GET',
            `${path`projects/${projectId}/jobs/${jobId}/artifacts`}/${artifactSegments(artifactPath)}`,
          )
        ).blob(),
    },
    Projects: {
      /** `GET /projects/:id` (an id or a full path). */
      show: (projectId: number | string) => json<GitlabProject>('GET', path`projects/${projectId}`),
    },
    ProjectHooks: {
      /** `GET /projects/:id/hooks` */
      all: (projectId: number | string) => list<GitlabRecord>(path`projects/${projectId}/hooks`),
      /** `POST /projects/:id/hooks` */
      add: (projectId: number | string, url: string, opts?: HookOptions) =>
        json<GitlabRecord>('POST', path`projects/${projectId}/hooks`, { url, ...snakeKeys(opts) }),
      /** `PUT /projects/:id/hooks/:hook_id` */
      edit: (projectId: number | string, hookId: number, url: string, opts?: HookOptions) =>
        json<GitlabRecord>('PUT', path`projects/${projectId}/hooks/${hookId}`, { url, ...snakeKeys(opts) }),
    },
    Users: {
      /** `GET /user`: the user the token belongs to (`shipgate doctor`). */
      showCurrentUser: () => json<GitlabRecord>('GET', 'user'),
    },
    Repositories: {
      /** `GET /projects/:id/repository/compare?from=&to=` */
      compare: (projectId: number | string, from: string, to: string) =>
        json<GitlabRecord>('GET', path`projects/${projectId}/repository/compare` + query({ from, to })),
    },
  };
}

/** The client {@link gitlabRest} returns. */
export type GitlabRest = ReturnType<typeof gitlabRest>;

/** Whether `next` (a `link` header's URL) is on the same origin as the API's `base` URL. */
function sameApi(next: string, base: string): boolean {
  try {
    return new URL(next, base).origin === new URL(base).origin;
  } catch {
    return false;
  }
}

/**
 * A path inside a job's artifacts archive, as URL segments. The names come from the pipeline (CI config):
 * `#`, `?`, `%` and spaces are encoded, and `.`/`..` or empty segments, which would leave the artifacts
 * route once the URL is normalized, are refused.
 */
export function artifactSegments(artifactPath: string): string {
  const segments = artifactPath.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new Error(`Invalid artifact path "${artifactPath}": empty, "." or ".." segments`);
  }
  return segments.map(encodeURIComponent).join('/');
}
