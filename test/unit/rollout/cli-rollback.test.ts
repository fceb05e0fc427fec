import { RegisterTaskDefinitionCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { acquireLock, readLock } from '../../../lambdas/domain/rollout/lock';
import { getDeployed, recordDeployed } from '../../../lambdas/domain/rollout/records';
import type { DeployedEntry } from '../../../lambdas/domain/rollout/types';
import { run } from '../../../src/cli/rollback';
import { contractFor, digest, REGISTRY, startWorld, type World } from './harness';

function entry(releaseId: string, c: string, createdAt: string, td: string): DeployedEntry {
  return {
    releaseId,
    createdAt,
    digest: digest(c),
    imageUri: `${REGISTRY}/storefront@${digest(c)}`,
    taskDefinitionArn: td,
    deployedAt: createdAt,
    verifiedAt: createdAt,
  };
}

describe('shipgate rollback <service> <environment>', () => {
  let world: World;
  let out: string;
  let err: string;
  const io = () => ({
    deps: world.deps,
    who: 'ada',
    stdout: (s: string) => void (out += s),
    stderr: (s: string) => void (err += s),
  });

  beforeEach(async () => {
    world = await startWorld();
    out = '';
    err = '';
    world.publish('production', contractFor('production', 'storefront', { alarms: ['storefront-5xx'] }));
    // The service runs release r2 (digest b); release r1 (digest a) ran before it.
    const current = world.addService(
      'shop-production',
      'storefront',
      `${REGISTRY}/storefront@${digest('b')}`,
    );
    await recordDeployed(
      'production',
      'storefront',
      entry('r1', 'a', '2026-11-20T10:00:00.000Z', 'td:r1'),
      world.deps,
    );
    await recordDeployed(
      'production',
      'storefront',
      entry('r2', 'b', '2026-11-21T10:00:00.000Z', current),
      world.deps,
    );
  });
  afterEach(async () => world.close());

  test('deploys the previously released digest, waits for it, and makes it current in the history', async () => {
    world.onSleep = () => world.complete('shop-production', 'storefront');

    const code = await run(['storefront', 'production'], io());

    expect(err).toBe('');
    expect(code).toBe(0);
    const registered = world.ecs.commandCalls(RegisterTaskDefinitionCommand)[0].args[0].input;
    expect(registered.containerDefinitions?.[0].image).toBe(`${REGISTRY}/storefront@${digest('a')}`);
    // A ROLLING service is rolled back with the settings it has (a rolling deployment has no bake or
    // pause); the blue/green family gets the rollback's own settings (sandbox-ecs-canary.test.ts).
    const update = world.ecs.commandCalls(UpdateServiceCommand)[0].args[0].input;
    expect(update).toEqual({
      cluster: 'shop-production',
      service: 'storefront',
      taskDefinition: 'arn:aws:ecs:eu-west-1:000011112222:task-definition/shop-production-storefront:2',
    });
    expect(out).toContain(`back from ${digest('b')} (release r2) to ${digest('a')} (release r1)`);
    expect(out).toContain(`Rolled back "storefront" in "production": now ${digest('a')} (release r1)`);
    const history = (await getDeployed('production', 'storefront', world.deps))!.history;
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({
      releaseId: 'r1',
      digest: digest('a'),
      restoredBy: expect.stringMatching(/^manual-rollback:ada:/),
    });
    expect(await readLock('production', 'storefront', world.deps)).toBeUndefined();
  });

  test('refuses while a release holds the lock, and changes nothing', async () => {
    await acquireLock('production', 'storefront', 'r3', undefined, world.deps);
    const code = await run(['storefront', 'production'], io());
    expect(code).toBe(1);
    expect(err).toContain('RolloutLocked: "storefront" in "production" is being rolled out by release r3');
    expect(world.ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
  });

  test('with nothing earlier to go back to it says so', async () => {
    const code = await run(['storefront', 'staging'], io());
    expect(code).toBe(1);
    expect(err).toContain('No earlier release of "storefront" in "staging" to go back to');
  });

  test('a rollout that ECS rolls back again is reported as a failure', async () => {
    world.onSleep = () =>
      world.failAndRollBack(
        'shop-production',
        'storefront',
        'ECS deployment circuit breaker: tasks failed to start.',
      );
    const code = await run(['storefront', 'production'], io());
    expect(code).toBe(1);
    expect(err).toMatch(
      /RollbackFailed: Rollback of "storefront" in "production" .* failed: .*tasks failed to start/,
    );
    expect((await getDeployed('production', 'storefront', world.deps))!.history[0].releaseId).toBe('r2');
  });

  test('usage errors exit 2 and name what is configured', async () => {
    expect(await run(['storefront'], io())).toBe(2);
    expect(err).toContain('Usage: shipgate rollback <service> <environment>');
    err = '';
    expect(await run(['nope', 'production'], io())).toBe(2);
    expect(err).toContain('unknown service "nope"; configured: storefront, cart');
    err = '';
    expect(await run(['storefront', 'qa'], io())).toBe(2);
    expect(err).toContain('unknown environment "qa"; configured: staging, production');
  });
});
