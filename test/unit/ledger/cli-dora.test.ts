import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { computeDora } from '../../../lambdas/domain/ledger/dora';
import { humanDuration, run } from '../../../src/cli/dora';
import { run as quarantineCli } from '../../../src/cli/quarantine';
import { commit, releaseEntry, rollbackEntry } from './entries';

/** `shipgate dora` and `shipgate quarantine` against a loopback server standing in for the API. */

const REPORT = computeDora(
  [
    releaseEntry('2026-11-02T10:00:00Z', { commits: [commit('a', '2026-11-02T08:00:00Z')] }),
    releaseEntry('2026-11-03T10:00:00Z', {
      releaseId: 'bad',
      outcome: 'rolled-back-by-shipgate',
      failedAt: '2026-11-03T10:00:00Z',
    }),
    rollbackEntry('2026-11-03T10:00:00Z', '2026-11-03T10:12:00Z', { rolledBackReleaseId: 'bad' }),
  ],
  {
    environment: 'production',
    from: '2026-11-01T00:00:00.000Z',
    to: '2026-11-08T00:00:00.000Z',
    label: '7d',
  },
);
REPORT.beforeLedger = [
  {
    releaseId: 'old-1',
    createdAt: '2026-11-01T01:00:00.000Z',
    status: 'SUCCEEDED',
    services: ['inventory-app'],
  },
];

let server: Server;
let url: string;
const requests: { method: string; url: string; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      requests.push({ method: req.method!, url: req.url!, body });
      res.setHeader('content-type', 'application/json');
      if (req.url!.startsWith('/api/metrics/dora?environment=qa')) {
        res.statusCode = 400;
        res.end(JSON.stringify({ error: 'environment must be one of staging, production; received "qa"' }));
      } else if (req.url!.startsWith('/api/metrics/dora')) res.end(JSON.stringify(REPORT));
      else if (req.url === '/api/quarantines/lift') {
        const b = JSON.parse(body) as { service: string; digest: string; reason: string; by: string };
        res.end(
          JSON.stringify({
            quarantine: {
              service: b.service,
              digest: b.digest,
              status: 'lifted',
              rollbacks: [
                {
                  entryId: 'x',
                  environment: 'staging',
                  outcome: 'rolled-back-by-ecs',
                  at: '2026-11-03T10:12:00.000Z',
                  releaseId: 'bad',
                },
              ],
              lifts: [{ by: b.by, at: '2026-11-04T00:00:00.000Z', reason: b.reason }],
            },
          }),
        );
      } else res.end(JSON.stringify({ quarantines: [] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { stdout: (s: string) => void out.push(s), stderr: (s: string) => void err.push(s), env: {} },
  };
}

describe('shipgate dora', () => {
  it('prints a table per scope with values and levels', async () => {
    const c = capture();
    expect(await run(['--url', url, '--window', '7d', '--service', 'inventory-app'], c.io)).toBe(0);
    expect(requests.at(-1)).toMatchObject({
      method: 'GET',
      url: '/api/metrics/dora?environment=production&window=7d&service=inventory-app',
    });
    const text = c.out.join('');
    expect(text).toContain(
      'DORA figures for production, 7d (2026-11-01T00:00:00.000Z – 2026-11-08T00:00:00.000Z); 3 ledger entries',
    );
    const row = (name: string) =>
      text
        .split('\n')
        .find((l) => l.includes(name))!
        .replace(/\s+/g, ' ');
    expect(row('Deployment frequency')).toBe('│ Deployment frequency │ 1 deploys (1.0/week) │ high │');
    expect(row('Change lead time')).toBe('│ Change lead time │ median 2.0h, p90 2.0h (1 commits) │ elite │');
    expect(row('Change failure rate')).toBe('│ Change failure rate │ 50.0% (1 of 2) │ low │');
    expect(row('Recovery time')).toBe('│ Recovery time │ median 12m, p90 12m (1 recovered) │ elite │');
    expect(row('Rework rate')).toBe('│ Rework rate │ 0.0% (0 unplanned of 2) │ no levels │');
    expect(text).toContain('┌'); // a drawn table
    expect(text).toContain('inventory-app');
    expect(text).toContain(
      '1 release(s) in this window were recorded before the ledger existed and are not counted ("before ledger"): old-1',
    );
    expect(text).toContain('https://dora.dev/');
    expect(text).not.toContain('\u001b['); // no colour codes
  });

  it('prints the JSON with --json, explains API refusals and bad usage', async () => {
    const json = capture();
    expect(await run(['--url', url, '--json'], json.io)).toBe(0);
    expect(JSON.parse(json.out.join(''))).toEqual(REPORT);
    const refused = capture();
    expect(await run(['--url', url, '--environment', 'qa'], refused.io)).toBe(1);
    expect(refused.err.join('')).toBe(
      'shipgate dora: 400 environment must be one of staging, production; received "qa"\n',
    );
    const usage = capture();
    expect(await run(['--url', url, '--frequency'], usage.io)).toBe(2);
    expect(usage.err.join('')).toContain("Unknown option '--frequency'");
  });

  it('formats durations', () => {
    expect([
      humanDuration(null),
      humanDuration(42),
      humanDuration(720),
      humanDuration(5400),
      humanDuration(216000),
    ]).toEqual(['–', '42s', '12m', '1.5h', '2.5d']);
  });
});

describe('shipgate quarantine', () => {
  it('lifts with a reason, stating who in the sandbox', async () => {
    const c = capture();
    const digest = `sha256:${'b'.repeat(64)}`;
    const code = await quarantineCli(
      [
        'lift',
        '--service',
        'inventory-app',
        '--digest',
        digest,
        '--reason',
        'fixed',
        '--by',
        'dana',
        '--url',
        url,
      ],
      c.io,
    );
    expect(code).toBe(0);
    expect(JSON.parse(requests.at(-1)!.body)).toEqual({
      service: 'inventory-app',
      digest,
      reason: 'fixed',
      by: 'dana',
    });
    expect(c.out.join('')).toBe(
      `Lifted: inventory-app  ${digest}  LIFTED  rolled back by ECS in staging at 2026-11-03T10:12:00.000Z (release bad); lifted by dana at 2026-11-04T00:00:00.000Z: fixed\n`,
    );
    const missing = capture();
    expect(await quarantineCli(['lift', '--service', 'inventory-app', '--url', url], missing.io)).toBe(2);
    expect(missing.err.join('')).toContain('lift needs --service, --digest and --reason');
    const list = capture();
    expect(await quarantineCli(['list', '--url', url], list.io)).toBe(0);
    expect(list.out.join('')).toBe('No digest is quarantined.\n');
  });
});
