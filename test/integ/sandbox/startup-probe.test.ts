import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { SandboxProcess, writeTestConfig } from './sandbox-process';
import { freePort, tempDir } from './support';

/**
 * Issue 22, item 1: a health check, load balancer or person refreshing the console while `npm start` starts
 * must never kill it. The sandbox is spawned (exactly as `npm start` runs it) and `/healthz` and `/` are
 * probed from the first millisecond, every few milliseconds, until it says it is running; then every kind
 * of route must answer.
 */

/** One GET on loopback; resolves with the status, or the socket error's code (ECONNREFUSED before listen). */
function probe(port: number, path: string, accept = '*/*'): Promise<number | string> {
  return new Promise((resolveProbe) => {
    const req = request(
      { host: '127.0.0.1', port, path, headers: { accept }, timeout: 5000, agent: false },
      (res) => {
        res.resume();
        res.on('end', () => resolveProbe(res.statusCode ?? 0));
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => resolveProbe(err.code ?? err.message));
    req.end();
  });
}

it('answers 503 "starting" (never crashes) while it starts, then serves every route', async () => {
  const tmp = tempDir();
  const port = await freePort();
  const sandbox = new SandboxProcess({
    PORT: String(port),
    SHIPGATE_AWS_PORT: String(await freePort()),
    SHIPGATE_STATE_DIR: tmp.dir,
    SHIPGATE_CONFIG: writeTestConfig(tmp.dir),
    SHIPGATE_WEBHOOK_TOKEN: `test-token-${randomBytes(8).toString('hex')}`,
  });
  const seen: Record<string, number> = {};
  let ready = false;
  try {
    const started = sandbox.start();
    // Probing starts before the child has even loaded its modules.
    const probing = (async () => {
      let i = 0;
      while (!ready) {
        const [path, accept] = i++ % 2 ? ['/healthz', '*/*'] : ['/', 'text/html'];
        const answer = await probe(port, path, accept);
        seen[String(answer)] = (seen[String(answer)] ?? 0) + 1;
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    await started.finally(() => (ready = true));
    await probing;

    // Only "not listening yet", "starting" and (in the last instant) a real answer: no 500, no reset.
    expect(Object.keys(seen).filter((k) => !['ECONNREFUSED', '503', '200'].includes(k))).toEqual([]);
    // The window between listen and routes is real (dynalite, table, seed): the probes saw it.
    expect(seen['503']).toBeGreaterThan(0);
    expect(sandbox.output).not.toContain('could not start');

    const routes: [string, string, number][] = [
      ['GET', '/healthz', 200],
      ['GET', '/', 200],
      ['GET', '/api/releases', 200],
      ['GET', '/api/releases/no-such-release', 404],
      ['GET', '/_sandbox/api/info', 200],
      ['GET', '/webhooks/gitlab', 405],
      // Reached the Slack route (app mode is off without a signing secret), not the catch-all 404.
      ['POST', '/slack/interactions', 404],
      // The review page's own 404 (an HTML page naming the approval), and the sign-in route refusing a bad gate.
      ['GET', '/approvals/no-such-approval', 404],
      ['GET', '/auth/signin?gate=nonsense', 400],
    ];
    const answers = await Promise.all(
      routes.map(async ([method, path]) => {
        const res = await fetch(`http://127.0.0.1:${port}${path}`, {
          method,
          headers: method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {},
          body: method === 'POST' ? 'payload=%7B%7D' : undefined,
        });
        const text = await res.text();
        expect(text).not.toContain('No route for');
        return [method, path, res.status];
      }),
    );
    expect(answers).toEqual(routes);
  } finally {
    ready = true;
    await sandbox.stop('SIGTERM');
    tmp.cleanup();
  }
}, 120000);
