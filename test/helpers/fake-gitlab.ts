import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small GitLab REST API on 127.0.0.1 (ephemeral port) that speaks the paths the GitLab client (lambdas/domain/gitlab/rest.ts) calls for
 * Shipgate — commit statuses, deployments, pipeline jobs, job artifacts, project hooks, freeze periods,
 * projects, repository compare and commits, the current user — keeps their state in memory, records every request, and can be
 * told to fail (`fail()`: an HTTP status, or a request that hangs until the server stops).
 */

/** A request as the fake saw it (the token itself is never recorded, only whether it matched). */
export interface RecordedRequest {
  method: string;
  /** Path below `/api/v4`, decoded, e.g. `/projects/7/statuses/abc…`. */
  path: string;
  query: Record<string, string>;
  body: Record<string, unknown> | undefined;
  authorized: boolean;
}

/** An injected failure. */
export interface Fault {
  method?: string;
  path: RegExp;
  /** Answer with this status (and a JSON error). */
  status?: number;
  /** Never answer (the client must time out). */
  hang?: boolean;
  /** How many matching requests fail (default: all). */
  times?: number;
}

/** A project the fake knows (`GET /projects/:id`, by id or path). */
export interface FakeProject {
  id: number;
  path_with_namespace: string;
  default_branch: string;
}

/** A pipeline job as `GET /projects/:id/pipelines/:pid/jobs` lists it. */
export interface FakeJob {
  id: number;
  name: string;
  stage?: string;
  status?: string;
  artifacts?: { file_type: string; filename: string; size?: number; file_format?: string | null }[];
  artifacts_file?: { filename: string; size: number };
}

/** A commit the fake's repository holds (one parent: a linear history is enough for compare). */
export interface FakeCommit {
  id: string;
  parent?: string;
  title: string;
  authored_date: string;
  committed_date: string;
  /** Labels of the merge request that brought it (`GET …/commits/:sha/merge_requests`). */
  mrLabels?: string[];
}

/** A stored project hook, tokens included (GitLab never shows them; the fake lets tests check them). */
export interface FakeHook {
  id: number;
  url: string;
  token?: string;
  signing_token?: string;
  [key: string]: unknown;
}

/** How the fake treats `signing_token` on hooks, like GitLab versions do. */
export type SigningTokenSupport = 'supported' | 'ignored' | 'rejected';

/** How the fake behaves, to play different GitLab versions. */
export interface FakeGitlabOptions {
  token?: string;
  signingToken?: SigningTokenSupport;
  /** GitLab ≥ 17.1 returns hook `name` and `description`; older ones do not. */
  hookDescriptions?: boolean;
}

const HOOK_FLAGS = [
  'push_events',
  'tag_push_events',
  'merge_requests_events',
  'issues_events',
  'confidential_issues_events',
  'note_events',
  'confidential_note_events',
  'job_events',
  'pipeline_events',
  'wiki_page_events',
  'deployment_events',
  'releases_events',
  'repository_update_events',
];

/** A running fake GitLab. */
export class FakeGitlab {
  readonly requests: RecordedRequest[] = [];
  readonly projects: FakeProject[] = [];
  /** Every commit status GitLab accepted, in order (GitLab keeps the latest per name). */
  readonly statuses: Record<string, unknown>[] = [];
  readonly deployments: Record<string, unknown>[] = [];
  readonly hooks: (FakeHook & { project_id: number })[] = [];
  readonly freezePeriods = new Map<number, Record<string, unknown>[]>();
  private readonly jobs = new Map<string, FakeJob[]>();
  private readonly commits = new Map<string, FakeCommit>();
  private readonly files = new Map<string, { body: string; contentType: string }>();
  private faults: Fault[] = [];
  private nextId = 100;
  private server!: Server;
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url = '';
  readonly token: string;

  constructor(private readonly options: FakeGitlabOptions = {}) {
    this.token = options.token ?? 'glpat-fake-test-token-0000';
  }

  /** Starts listening on 127.0.0.1 with an ephemeral port. */
  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) this.json(res, 500, { message: String(err) });
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Stops the server, cutting hanging requests. */
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Makes matching requests fail. */
  fail(fault: Fault): void {
    this.faults.push({ ...fault });
  }

  /** Removes injected failures. */
  heal(): void {
    this.faults = [];
  }

  addProject(project: FakeProject): void {
    this.projects.push(project);
  }

  /** Adds a job to a pipeline, with files in its artifacts archive (path → JSON text). */
  addJob(projectId: number, pipelineId: number, job: FakeJob, files: Record<string, string> = {}): void {
    const key = `${projectId}/${pipelineId}`;
    this.jobs.set(key, [...(this.jobs.get(key) ?? []), job]);
    for (const [path, body] of Object.entries(files)) {
      this.files.set(`${projectId}/${job.id}/${path}`, { body, contentType: 'application/octet-stream' });
    }
  }

  /** Adds a commit to the project's repository (compare, single commit, its merge requests). */
  addCommit(projectId: number, commit: FakeCommit): void {
    this.commits.set(`${projectId}/${commit.id}`, commit);
  }

  /** A commit as the Commits API shows it. */
  private commitView(c: FakeCommit): Record<string, unknown> {
    return {
      id: c.id,
      short_id: c.id.slice(0, 8),
      title: c.title,
      message: c.title,
      author_name: 'Dana',
      author_email: 'dana@example.com',
      authored_date: c.authored_date,
      committer_name: 'Dana',
      committer_email: 'dana@example.com',
      committed_date: c.committed_date,
      created_at: c.committed_date,
      parent_ids: c.parent ? [c.parent] : [],
    };
  }

  addFreezePeriod(projectId: number, start: string, end: string, timezone = 'UTC'): void {
    const list = this.freezePeriods.get(projectId) ?? [];
    list.push({
      id: this.nextId++,
      freeze_start: start,
      freeze_end: end,
      cron_timezone: timezone,
      created_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-01T00:00:00.000Z',
    });
    this.freezePeriods.set(projectId, list);
  }

  /** Requests matching a method and path pattern. */
  requestsTo(method: string, path: RegExp): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && path.test(r.path));
  }

  private project(idOrPath: string): FakeProject | undefined {
    return this.projects.find((p) => String(p.id) === idOrPath || p.path_with_namespace === idOrPath);
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
    const path = decodeURIComponent(url.pathname.replace(/^\/api\/v4/, ''));
    const method = req.method ?? 'GET';
    const authorized = req.headers['private-token'] === this.token;
    this.requests.push({ method, path, query: Object.fromEntries(url.searchParams), body, authorized });

    const fault = this.faults.find(
      (f) => (!f.method || f.method === method) && f.path.test(path) && f.times !== 0,
    );
    if (fault) {
      if (fault.times !== undefined) fault.times -= 1;
      if (fault.hang) return; // never answer; stop() cuts the connection
      return this.json(res, fault.status ?? 500, { message: `${fault.status ?? 500} injected failure` });
    }
    if (!authorized) return this.json(res, 401, { message: '401 Unauthorized' });

    const params = { ...Object.fromEntries(url.searchParams), ...(body ?? {}) } as Record<string, unknown>;
    let m: RegExpExecArray | null;

    // `GET /user`: the token's own user (GitLab's "Get the current user"; `shipgate doctor` asks it).
    if (path === '/user' && method === 'GET') {
      return this.json(res, 200, { id: 1, username: 'shipgate-bot', name: 'Shipgate', state: 'active' });
    }
    if ((m = /^\/projects\/([^/]+)\/statuses\/([0-9a-f]+)$/.exec(path)) && method === 'POST') {
      // Like GitLab: re-posting the state a status already has is an invalid transition.
      const current = [...this.statuses]
        .reverse()
        .find((s) => s.sha === m![2] && s.name === (params.name ?? 'default') && s.ref === params.ref);
      if (current && current.status === params.state) {
        return this.json(res, 400, {
          message: `Cannot transition status via :${String(params.state)} from :${String(params.state)}`,
        });
      }
      const status = {
        id: this.nextId++,
        sha: m[2],
        status: params.state,
        name: params.name ?? 'default',
        ref: params.ref,
        target_url: params.target_url,
        description: params.description ?? null,
        pipeline_id: params.pipeline_id,
        project_id: Number(m[1]),
      };
      this.statuses.push(status);
      return this.json(res, 201, status);
    }
    if ((m = /^\/projects\/([^/]+)\/deployments$/.exec(path))) {
      const projectId = Number(m[1]);
      if (method === 'GET') {
        const list = this.deployments
          .filter((d) => d.project_id === projectId)
          .filter(
            (d) => !params.environment || (d.environment as { name: string }).name === params.environment,
          )
          .sort((a, b) => (b.id as number) - (a.id as number));
        return this.json(res, 200, list);
      }
      if (method === 'POST') {
        const id = this.nextId++;
        const deployment = {
          id,
          iid: id,
          project_id: projectId,
          sha: params.sha,
          ref: params.ref,
          tag: params.tag,
          status: params.status ?? 'created',
          environment: { name: params.environment },
        };
        this.deployments.push(deployment);
        return this.json(res, 201, deployment);
      }
    }
    if ((m = /^\/projects\/([^/]+)\/deployments\/(\d+)$/.exec(path)) && method === 'PUT') {
      const deployment = this.deployments.find((d) => d.id === Number(m![2]));
      if (!deployment) return this.json(res, 404, { message: '404 Not found' });
      deployment.status = params.status;
      return this.json(res, 200, deployment);
    }
    if ((m = /^\/projects\/([^/]+)\/pipelines\/(\d+)\/jobs$/.exec(path)) && method === 'GET') {
      return this.json(res, 200, this.jobs.get(`${m[1]}/${m[2]}`) ?? []);
    }
    if ((m = /^\/projects\/([^/]+)\/jobs\/(\d+)\/artifacts\/(.+)$/.exec(path)) && method === 'GET') {
      const file = this.files.get(`${m[1]}/${m[2]}/${m[3]}`);
      if (!file) return this.json(res, 404, { message: '404 Not Found' });
      res.writeHead(200, { 'content-type': file.contentType });
      res.end(file.body);
      return;
    }
    // Repositories API, "Compare branches, tags or commits": GET /projects/:id/repository/compare?from=&to=
    // answers the commits reachable from `to` and not from `from`, oldest first; 404 for an unknown ref.
    if ((m = /^\/projects\/([^/]+)\/repository\/compare$/.exec(path)) && method === 'GET') {
      const from = this.commits.get(`${m[1]}/${String(params.from)}`);
      const to = this.commits.get(`${m[1]}/${String(params.to)}`);
      if (!from || !to) return this.json(res, 404, { message: '404 Ref Not Found' });
      const list: FakeCommit[] = [];
      for (
        let c: FakeCommit | undefined = to;
        c && c.id !== from.id;
        c = c.parent ? this.commits.get(`${m[1]}/${c.parent}`) : undefined
      ) {
        list.unshift(c);
      }
      return this.json(res, 200, {
        commit: this.commitView(to),
        commits: list.map((c) => this.commitView(c)),
        diffs: [],
        compare_timeout: false,
        compare_same_ref: from.id === to.id,
        web_url: `${this.url}/-/compare/${from.id}...${to.id}`,
      });
    }
    if (
      (m = /^\/projects\/([^/]+)\/repository\/commits\/([0-9a-f]+)(\/merge_requests)?$/.exec(path)) &&
      method === 'GET'
    ) {
      const c = this.commits.get(`${m[1]}/${m[2]}`);
      if (!c) return this.json(res, 404, { message: '404 Commit Not Found' });
      if (m[3]) {
        return this.json(
          res,
          200,
          c.mrLabels ? [{ id: this.nextId++, iid: 1, project_id: Number(m[1]), labels: c.mrLabels }] : [],
        );
      }
      return this.json(res, 200, this.commitView(c));
    }
    if ((m = /^\/projects\/([^/]+)\/freeze_periods$/.exec(path)) && method === 'GET') {
      return this.json(res, 200, this.freezePeriods.get(Number(m[1])) ?? []);
    }
    if ((m = /^\/projects\/(.+)\/hooks(?:\/(\d+))?$/.exec(path))) {
      const project = this.project(m[1]);
      if (!project) return this.json(res, 404, { message: '404 Project Not Found' });
      if (method === 'GET' && !m[2]) {
        return this.json(
          res,
          200,
          this.hooks.filter((h) => h.project_id === project.id).map((h) => this.publicHook(h)),
        );
      }
      if (method === 'POST' || method === 'PUT') {
        if (params.signing_token !== undefined && this.options.signingToken === 'rejected') {
          return this.json(res, 400, { error: 'signing_token does not have a valid value' });
        }
        let hook = m[2]
          ? this.hooks.find((h) => h.id === Number(m![2]) && h.project_id === project.id)
          : undefined;
        if (m[2] && !hook) return this.json(res, 404, { message: '404 Not found' });
        if (!hook) {
          hook = { id: this.nextId++, project_id: project.id, url: '', created_at: '2026-01-01T00:00:00Z' };
          for (const flag of HOOK_FLAGS) hook[flag] = flag === 'push_events';
          hook.enable_ssl_verification = true;
          hook.push_events_branch_filter = '';
          this.hooks.push(hook);
        }
        for (const [key, value] of Object.entries(params)) {
          if (key === 'id') continue;
          if (key === 'signing_token' && this.options.signingToken !== 'supported') continue;
          if ((key === 'name' || key === 'description') && this.options.hookDescriptions === false) continue;
          hook[key] = value;
        }
        return this.json(res, method === 'POST' ? 201 : 200, this.publicHook(hook));
      }
    }
    if ((m = /^\/projects\/(.+)$/.exec(path)) && method === 'GET') {
      const project = this.project(m[1]);
      if (project) return this.json(res, 200, project);
    }
    return this.json(res, 404, { message: `404 fake GitLab has no ${method} ${path}` });
  }

  /** A hook as GitLab shows it: tokens are write-only. */
  private publicHook(hook: FakeHook & { project_id: number }): Record<string, unknown> {
    const { token: _token, signing_token: signing, ...rest } = hook;
    const shown: Record<string, unknown> = { ...rest };
    if (this.options.signingToken === 'supported') shown.signing_token_present = Boolean(signing);
    if (this.options.hookDescriptions !== false) {
      shown.name ??= null;
      shown.description ??= null;
    }
    return shown;
  }
}

/** Starts a fake GitLab; remember to `await fake.stop()`. */
export async function startFakeGitlab(options: FakeGitlabOptions = {}): Promise<FakeGitlab> {
  return new FakeGitlab(options).start();
}
