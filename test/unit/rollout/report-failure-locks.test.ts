import { acquireLock, readLock } from '../../../lambdas/domain/rollout/lock';
import { reportFailure } from '../../../lambdas/steps/report-failure';
import { makeRelease, startWorld, type World } from './harness';

/**
 * "Report failure" against a real table (dynalite): a failed release frees the rollout locks it still
 * holds, so the next release of those services does not wait for the lease; locks of other releases stay.
 */

const EXEC = 'arn:aws:states:eu-west-1:000011112222:execution:shipgate-release:failed';

describe('Report failure frees the failed release’s rollout locks', () => {
  let world: World;
  beforeEach(async () => {
    world = await startWorld();
  });
  afterEach(async () => world.close());

  test('its own locks go at once, another release’s lock stays, and the next release can take them', async () => {
    const failed = makeRelease({ id: 'shop-p400-0d0d400', services: ['storefront', 'cart'] });
    const other = makeRelease({ id: 'shop-p401-0e0e401', services: ['cart'] });
    await acquireLock('staging', 'storefront', failed.id, EXEC, world.deps);
    await acquireLock('production', 'storefront', failed.id, EXEC, world.deps);
    await acquireLock('staging', 'cart', other.id, EXEC, world.deps);

    const out = await reportFailure(
      {
        release: failed,
        scan: { passed: true },
        error: { Error: 'RolloutFailed', Cause: 'storefront failed' },
      },
      { ddb: world.deps.ddb, table: world.deps.table, now: () => world.clock.now },
    );

    expect(out.locksReleased).toEqual([
      { environment: 'staging', service: 'storefront' },
      { environment: 'production', service: 'storefront' },
    ]);
    expect(await readLock('staging', 'storefront', world.deps)).toBeUndefined();
    expect(await readLock('production', 'storefront', world.deps)).toBeUndefined();
    expect(await readLock('staging', 'cart', world.deps)).toMatchObject({ owner: other.id });
    // Well within the lease, a newer release gets the freed lock.
    await expect(
      acquireLock('staging', 'storefront', 'shop-p402-0f0f402', EXEC, world.deps),
    ).resolves.toMatchObject({ owner: 'shop-p402-0f0f402' });

    // Running it twice (a retried invoke) releases nothing more and still succeeds.
    const again = await reportFailure(
      {
        release: failed,
        scan: { passed: true },
        error: { Error: 'RolloutFailed', Cause: 'storefront failed' },
      },
      { ddb: world.deps.ddb, table: world.deps.table, now: () => world.clock.now },
    );
    expect(again.locksReleased).toEqual([]);
  });
});
