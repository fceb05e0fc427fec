import type { RolloutOutcome } from '../../../lambdas/domain/rollout/types';
import type { ReleaseInput } from '../../../lambdas/shared/release';
import { definitionFor, runLocalWorkflow } from '../../helpers/local-workflow';
import { digest, makeRelease, testConfig } from './harness';
import { rolloutWorkflowTestbed } from './workflow-testbed';

/**
 * The real synthesized release state machine, run locally (aws-local-stepfunctions), with the REAL rollout
 * handlers behind "Start/Await/Check rollout", "Verify" and "Roll back" (see ./workflow-testbed.ts). Two
 * releases racing for the same service: test/unit/workflow/racing-releases.test.ts.
 */

const release = makeRelease({ services: ['storefront', 'cart'] });
const input: ReleaseInput = { release };

describe('release workflow with the real rollout handlers', () => {
  const bed = rolloutWorkflowTestbed();
  const setup = bed.setup;
  const handlers = bed.handlers;
  const updatesIn = bed.updatesIn;
  beforeAll(() => bed.open());
  afterAll(() => bed.close());
  afterEach(() => bed.closeWorld());

  test('rolling success through staging and production: production runs the digests that passed staging', async () => {
    const config = testConfig();
    await setup(config);
    const run = await runLocalWorkflow(definitionFor(config), input, handlers(config, {}));

    expect(run.status).toBe('SUCCEEDED');
    const deployments = run.output!.deployments as Record<string, RolloutOutcome[]>;
    expect(deployments.production.map((d) => [d.service, d.status, d.digest])).toEqual([
      ['storefront', 'COMPLETED', digest('a')],
      ['cart', 'COMPLETED', digest('a')],
    ]);
    expect(JSON.stringify(run.output)).not.toContain('fake-task-token');
    expect(updatesIn('shop-production')).toHaveLength(2);
    // State transitions of a two-service, two-environment release whose events all arrive (what AWS bills).
    expect(run.transitions).toBe(17);
  });

  test('circuit-breaker failure in staging: ECS rolled back, Shipgate rolls back the rest, release failed, production untouched', async () => {
    const config = testConfig();
    await setup(config);
    const run = await runLocalWorkflow(
      definitionFor(config),
      input,
      handlers(config, { ecs: (env, service) => (service === 'cart' ? 'fail' : 'complete') }),
    );

    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('RolloutFailed');
    expect(run.cause).toContain('rolled back to shop-staging-cart:1 (the revision it ran before)');
    expect(run.entered).toContain('Roll back staging');
    expect(run.entered).not.toContain('Approve production');
    expect(updatesIn('shop-production')).toHaveLength(0);
    // storefront had completed: Shipgate put it back on revision 1 itself.
    expect(bed.world.service('shop-staging', 'storefront').taskDefinition).toMatch(
      /shop-staging-storefront:1$/,
    );
    expect(bed.world.service('shop-staging', 'cart').taskDefinition).toMatch(/shop-staging-cart:1$/);
  });

  test('verify failure in production: Shipgate rolls production back, staging keeps the release', async () => {
    const config = testConfig();
    await setup(config);
    const run = await runLocalWorkflow(
      definitionFor(config),
      input,
      handlers(config, { smoke: (env) => (env === 'production' ? 503 : 200) }),
    );

    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('VerifyFailed');
    expect(bed.world.service('shop-production', 'storefront').taskDefinition).toMatch(
      /shop-production-storefront:1$/,
    );
    expect(bed.world.service('shop-production', 'cart').taskDefinition).toMatch(/shop-production-cart:1$/);
    expect(bed.world.service('shop-staging', 'storefront').taskDefinition).toMatch(
      /shop-staging-storefront:2$/,
    );
  });

  test('a lost completion event is settled by check-rollout after the grace period', async () => {
    const config = testConfig({
      rollout: { timeout: '30m', eventGrace: '1s', maxConcurrency: 2, lockLease: '1h' },
    });
    await setup(config);
    const run = await runLocalWorkflow(
      definitionFor(config),
      input,
      handlers(config, {
        ecs: (env, service) => (env === 'staging' && service === 'cart' ? 'lose-event' : 'complete'),
      }),
    );

    expect(run.status).toBe('SUCCEEDED');
    expect(run.entered.filter((n) => n === 'Check rollout staging')).toHaveLength(1);
    expect(run.entered).not.toContain('Await rollout staging');
    const staging = (run.output!.deployments as Record<string, RolloutOutcome[]>).staging;
    expect(staging.find((d) => d.service === 'cart')).toMatchObject({
      status: 'COMPLETED',
      digest: digest('a'),
    });
  });
});
