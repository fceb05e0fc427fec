import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getDeployed, recordDeployed } from '../../../lambdas/domain/rollout/records';
import {
  runSmokeCheck,
  smokeUrl,
  verifyRelease,
  type VerifyDeps,
} from '../../../lambdas/domain/verify/smoke';
import {
  contractFor,
  digest,
  imageOf,
  makeRelease,
  REGISTRY,
  startWorld,
  testConfig,
  type World,
} from './harness';

/** A loopback HTTP server whose answer per path the test decides; counts requests per path. */
interface SmokeServer {
  url: string;
  hits: Map<string, number>;
  answer: (path: string, n: number) => number | 'hang';
  close(): Promise<void>;
}

async function startSmokeServer(): Promise<SmokeServer> {
  const hits = new Map<string, number>();
  const s: Partial<SmokeServer> = { hits, answer: () => 200 };
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    const n = (hits.get(path) ?? 0) + 1;
    hits.set(path, n);
    const answer = s.answer!(path, n);
    if (answer === 'hang') return; // never answers; the client's timeout must end it
    const redirect = answer >= 300 && answer < 400 ? { location: 'https://login.shop.test/' } : {};
    res.writeHead(answer, { 'content-type': 'text/plain', ...redirect });
    res.end(answer === 200 ? 'ready' : 'not ready: database unreachable');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  s.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  s.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return s as SmokeServer;
}

describe('verify (smoke checks over real HTTP)', () => {
  let world: World;
  let smoke: SmokeServer;
  let deps: VerifyDeps;
  let sleeps: number[];
  const release = makeRelease({ services: ['storefront', 'cart'] });
  const input = { environment: 'staging', release, images: [imageOf('storefront'), imageOf('cart')] };

  beforeEach(async () => {
    world = await startWorld(testConfig({ verify: { attempts: 3, interval: '2s', requestTimeout: '1s' } }));
    smoke = await startSmokeServer();
    for (const service of ['storefront', 'cart']) {
      world.publish(
        'staging',
        contractFor('staging', service, { smokeUrl: `${smoke.url}/${service}/`, smokePath: '/readyz' }),
      );
      await recordDeployed(
        'staging',
        service,
        {
          releaseId: release.id,
          createdAt: release.createdAt,
          digest: digest('a'),
          imageUri: `${REGISTRY}/${service}@${digest('a')}`,
          taskDefinitionArn: `arn:aws:ecs:eu-west-1:000011112222:task-definition/shop-staging-${service}:2`,
          deployedAt: '2026-11-22T01:00:00.000Z',
        },
        world.deps,
      );
    }
    sleeps = [];
    deps = {
      ...world.deps,
      fetch: globalThis.fetch,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    };
  });
  afterEach(async () => {
    await smoke.close();
    await world.close();
  });

  test('all services answer 2xx: passed, and the release is marked verified there (what the next environment requires)', async () => {
    const result = await verifyRelease(input, deps);
    expect(result.passed).toBe(true);
    expect(result.checks.map((c) => [c.service, c.url, c.passed, c.status, c.attempts])).toEqual([
      ['storefront', `${smoke.url}/storefront/readyz`, true, 200, 1],
      ['cart', `${smoke.url}/cart/readyz`, true, 200, 1],
    ]);
    expect((await getDeployed('staging', 'storefront', world.deps))?.history[0].verifiedAt).toBe(
      world.clock.now.toISOString(),
    );
    expect((await getDeployed('staging', 'cart', world.deps))?.history[0].verifiedAt).toBe(
      world.clock.now.toISOString(),
    );
  });

  test('a service that is not ready at first passes once it answers 2xx within the attempts', async () => {
    smoke.answer = (path, n) => (path.startsWith('/cart') && n < 3 ? 503 : 200);
    const result = await verifyRelease(input, deps);
    expect(result.checks.find((c) => c.service === 'cart')).toMatchObject({ passed: true, attempts: 3 });
    expect(smoke.hits.get('/cart/readyz')).toBe(3);
    expect(sleeps).toEqual([2000, 2000]);
  });

  test('a service that keeps failing fails Verify after N attempts with per-service detail; nothing is marked verified', async () => {
    smoke.answer = (path) => (path.startsWith('/storefront') ? 503 : 200);
    const error = await verifyRelease(input, deps).catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'VerifyFailed' });
    expect((error as Error).message).toBe(
      `Verify staging failed for 1 of 2 services of release ${release.id}: storefront: GET ${smoke.url}/storefront/readyz → HTTP 503 "not ready: database unreachable" after 3 attempts. Passed: cart. Shipgate rolls the release back in staging.`,
    );
    expect(smoke.hits.get('/storefront/readyz')).toBe(3);
    expect((await getDeployed('staging', 'storefront', world.deps))?.history[0].verifiedAt).toBeUndefined();
    expect((await getDeployed('staging', 'cart', world.deps))?.history[0].verifiedAt).toBeUndefined();
  });

  test('a service that never answers times out per request and fails', async () => {
    smoke.answer = (path) => (path.startsWith('/storefront') ? 'hang' : 200);
    const started = Date.now();
    await expect(verifyRelease(input, deps)).rejects.toMatchObject({
      name: 'VerifyFailed',
      message: expect.stringContaining('storefront: GET'),
    });
    await expect(verifyRelease(input, deps)).rejects.toThrow(/no response within 1 s after 3 attempts/);
    // Two runs of three 1-second timeouts each; the test would hang forever without the AbortSignal.
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  test('a refused connection is reported with its error code', async () => {
    const closed = await startSmokeServer();
    await closed.close(); // nothing listens on its port any more
    const check = await runSmokeCheck(
      'storefront',
      `${closed.url}/readyz`,
      { attempts: 2, intervalSeconds: 0, timeoutSeconds: 1 },
      { fetch: globalThis.fetch, sleep: async () => undefined },
    );
    expect(check).toMatchObject({
      passed: false,
      attempts: 2,
      error: expect.stringContaining('ECONNREFUSED'),
    });
  });

  test('a redirect (to a login page, say) is not a pass; the message says where it pointed', async () => {
    smoke.answer = (path) => (path.startsWith('/cart') ? 302 : 200);
    await expect(verifyRelease(input, deps)).rejects.toThrow(
      /cart: GET .*\/cart\/readyz → HTTP 302 redirect to https:\/\/login.shop.test\/; smoke checks do not follow redirects/,
    );
  });

  test('smokeUrl keeps a base path', () => {
    expect(smokeUrl('http://alb.internal/storefront/', '/readyz')).toBe(
      'http://alb.internal/storefront/readyz',
    );
    expect(smokeUrl('http://alb.internal', '/readyz')).toBe('http://alb.internal/readyz');
  });
});
