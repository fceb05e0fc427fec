import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ShipgateConfig } from '../../lambdas/shared/config';
import { demoProjectId } from '../demo';
import { allPlanned, type HistoryPlan, type PlannedCommit } from './plan';

/** A running history GitLab. */
export interface HistoryGitlab {
  /** Base URL (`http://127.0.0.1:<port>`), for `SHIPGATE_GITLAB_URL`. */
  url: string;
  /** Its `PRIVATE-TOKEN`, for `SHIPGATE_GITLAB_TOKEN`. */
  token: string;
  /** Requests by `<METHOD> <path pattern>`, for the summary. */
  calls: Map<string, number>;
  close(): Promise<void>;
}

interface Project {
  id: number;
  path: string;
  /** The default branch's commits, oldest first (every planned release's commits, in plan order). */
  commits: PlannedCommit[];
  deployments: Record<string, unknown>[];
}

/** A commit as GitLab's REST API shows it (`GET /projects/:id/repository/commits/:sha`). */
function commitView(p: Project, c: PlannedCommit, parent?: PlannedCommit) {
  const at = new Date(c.at).toISOString();
  return {
    id: c.sha,
    short_id: c.sha.slice(0, 8),
    title: c.title,
    message: `${c.title}\n`,
    author_name: 'Sam Sandbox',
    author_email: 'sam@shipgate.test',
    authored_date: at,
    committer_name: 'Sam Sandbox',
    committer_email: 'sam@shipgate.test',
    committed_date: at,
    created_at: at,
    parent_ids: parent ? [parent.sha] : [],
    web_url: `http://gitlab.history.test/${p.path}/-/commit/${c.sha}`,
  };
}

/**
 * The GitLab that `--history` releases come from: a loopback REST API (the `/api/v4` paths Shipgate calls
 * through the GitLab client, lambdas/domain/gitlab/rest.ts) that knows the planned commits, so the release ledger reads real commit times from
 * the compare API (`GET /projects/:id/repository/compare?from&to`, oldest first, as GitLab lists them) and
 * change lead time starts at each commit; a hotfix's commit belongs to a merge request labelled `hotfix`
 * (`GET …/repository/commits/:sha/merge_requests`). Commit statuses and deployments are accepted and kept in memory;
 * pipelines have no jobs (the scan gate then relies on ECR's scan, as it does without GitLab), and there are
 * no freeze periods.
 */
export async function startHistoryGitlab(config: ShipgateConfig, plan: HistoryPlan): Promise<HistoryGitlab> {
  const token = `glpat-history-${randomBytes(12).toString('hex')}`;
  const projects = new Map<string, Project>();
  for (const project of config.projects) {
    const p: Project = {
      id: demoProjectId(config, project),
      path: project.path,
      commits: [],
      deployments: [],
    };
    projects.set(String(p.id), p);
    projects.set(project.path, p);
  }
  // Hotfixes come from a merge request labelled "hotfix" (the default of ledger.hotfixLabels).
  const hotfixes = new Set(
    allPlanned(plan)
      .filter((r) => r.hotfix)
      .map((r) => r.sha),
  );
  for (const r of allPlanned(plan).sort((a, b) => a.commitAt - b.commitAt))
    projects.get(r.project)?.commits.push(...r.commits);
  const calls = new Map<string, number>();
  let nextId = 1;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? '/', 'http://gitlab');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: Record<string, unknown> = {};
    if (raw && (req.headers['content-type'] ?? '').includes('json')) body = JSON.parse(raw) as typeof body;
    else if (raw) body = Object.fromEntries(new URLSearchParams(raw));
    const params = { ...Object.fromEntries(url.searchParams), ...body };
    const path = decodeURIComponent(url.pathname.replace(/^\/api\/v4/, ''));
    const method = req.method ?? 'GET';
    const shape = `${method} ${path.replace(/\/projects\/[^/]+(\/.*)?$/, '/projects/:id$1').replace(/[0-9a-f]{40}|\b\d+\b/g, ':x')}`;
    calls.set(shape, (calls.get(shape) ?? 0) + 1);
    if (req.headers['private-token'] !== token) return send(401, { message: '401 Unauthorized' });
    const m = /^\/projects\/(.+?)(\/(?:repository|statuses|deployments|pipelines|freeze_periods).*)?$/.exec(
      path,
    );
    const p = m ? projects.get(m[1]) : undefined;
    if (!m || !p) return send(404, { message: '404 Project Not Found' });
    const rest = m[2] ?? '';
    const index = (sha: unknown) => p.commits.findIndex((c) => c.sha === sha);
    let r: RegExpExecArray | null;
    if (rest === '' && method === 'GET') {
      return send(200, {
        id: p.id,
        path_with_namespace: p.path,
        default_branch: 'main',
        name: p.path.split('/').pop(),
      });
    }
    if (rest === '/repository/compare' && method === 'GET') {
      const from = index(params.from);
      const to = index(params.to);
      if (to < 0) return send(404, { message: '404 Ref Not Found' });
      const commits = p.commits.slice(from + 1, to + 1).map((c, i, xs) => commitView(p, c, xs[i - 1]));
      return send(200, {
        commit: commits[commits.length - 1] ?? null,
        commits,
        diffs: [],
        compare_timeout: false,
        compare_same_ref: from === to,
      });
    }
    if ((r = /^\/repository\/commits\/([0-9a-f]{40})$/.exec(rest)) && method === 'GET') {
      const i = index(r[1]);
      return i < 0
        ? send(404, { message: '404 Commit Not Found' })
        : send(200, commitView(p, p.commits[i], p.commits[i - 1]));
    }
    if ((r = /^\/repository\/commits\/([0-9a-f]{40})\/merge_requests$/.exec(rest)) && method === 'GET') {
      if (index(r[1]) < 0) return send(404, { message: '404 Commit Not Found' });
      const mr = { id: nextId++, iid: nextId, project_id: p.id, state: 'merged', target_branch: 'main' };
      const hotfix = hotfixes.has(r[1]);
      return send(200, [{ ...mr, title: hotfix ? 'Hotfix' : 'Change', labels: hotfix ? ['hotfix'] : [] }]);
    }
    if ((r = /^\/statuses\/([0-9a-f]{40})$/.exec(rest)) && method === 'POST') {
      return send(201, { id: nextId++, sha: r[1], status: params.state, name: params.name ?? 'default' });
    }
    if (rest === '/deployments' && method === 'GET') {
      return send(
        200,
        p.deployments.filter(
          (d) => !params.environment || (d.environment as { name: string }).name === params.environment,
        ),
      );
    }
    if (rest === '/deployments' && method === 'POST') {
      const d = {
        id: nextId++,
        iid: nextId,
        sha: params.sha,
        ref: params.ref,
        status: params.status ?? 'created',
        environment: { name: params.environment },
      };
      p.deployments.unshift(d);
      return send(201, d);
    }
    if ((r = /^\/deployments\/(\d+)$/.exec(rest)) && method === 'PUT') {
      const d = p.deployments.find((x) => x.id === Number(r![1]));
      if (!d) return send(404, { message: '404 Not found' });
      d.status = params.status;
      return send(200, d);
    }
    if (/^\/pipelines\/\d+\/jobs$/.test(rest) && method === 'GET') return send(200, []);
    if (rest === '/freeze_periods' && method === 'GET') return send(200, []);
    return send(404, { message: `404 Not Found (the history GitLab does not serve ${method} ${rest})` });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: String(err) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
