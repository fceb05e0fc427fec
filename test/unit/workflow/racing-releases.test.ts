import { acquireLock, readLock } from '../../../lambdas/domain/rollout/lock';
import type { ReleaseInput } from '../../../lambdas/shared/release';
import { reportFailure } from '../../../lambdas/steps/report-failure';
import { lockRetryAttempts } from '../../../lib/workflow/release-definition';
import {
  definitionFor,
  runLocalWorkflow,
  type LocalRun,
  type StateHandler,
} from '../../helpers/local-workflow';
import { digest, imageOf, makeRelease, testConfig } from '../rollout/harness';
import { rolloutWorkflowTestbed } from '../rollout/workflow-testbed';

/**
 * Two releases of the same service racing, on the real synthesized state machine run locally with the real
 * rollout handlers (lock in dynalite, ECS modelled). "Start rollout <env>" retries `RolloutLocked` (bounded,
 * jittered; see LOCK_RETRY in lib/workflow/release-definition.ts); `retryIntervalOverrides` shortens the
 * pauses so the tests run in about a second.
 */

const config = testConfig();
const definition = definitionFor(config);
/** Pause between retries here, in ms: long enough for the holder's rollout to settle within the attempts. */
const RETRY_MS = 200;
const fastRetries = {
  retryIntervalOverrides: { 'Start rollout staging': RETRY_MS, 'Start rollout production': RETRY_MS },
};

const single = (id: string, createdAt: string): ReleaseInput => ({
  release: makeRelease({ id, createdAt, services: ['storefront'] }),
});
const older = single('shop-storefront-p300-0a0a300', '2026-11-21T09:00:00.000Z');
const newer = single('shop-storefront-p301-0b0b301', '2026-11-21T10:00:00.000Z');

describe('two releases racing for the same service', () => {
  const bed = rolloutWorkflowTestbed();
  beforeAll(() => bed.open());
  afterAll(() => bed.close());
  beforeEach(() => bed.setup(config));
  afterEach(() => bed.closeWorld());

  /** The testbed's handlers for a storefront-only release with image digest `digestChar`, counting refusals. */
  function handlersFor(digestChar: string, afterStart?: (environment: string) => Promise<void>) {
    const h = bed.handlers(config, { afterStart });
    const locked: string[] = [];
    const refusedIn: Record<string, () => void> = {};
    const refused = Object.fromEntries(
      ['staging', 'production'].map((env) => [
        env,
        new Promise<void>((resolve) => (refusedIn[env] = resolve)),
      ]),
    );
    for (const environment of ['staging', 'production']) {
      const start = h[`Start rollout ${environment}`];
      h[`Start rollout ${environment}`] = async (p) => {
        // The real handler answers through the task token; a refused lock is a FAILED result with the error.
        const settled = start(p) as Promise<unknown>;
        return settled.catch((err: Error) => {
          if (err.name === 'RolloutLocked') {
            locked.push(environment);
            refusedIn[environment]();
          }
          throw err;
        });
      };
    }
    const handlers: Record<string, StateHandler> = {
      ...h,
      'Resolve release': () => ({ images: [imageOf('storefront', digestChar)] }),
      // The real "Report failure", against the same table: it frees what the release still holds.
      'Report failure': (p) =>
        reportFailure(p, { ddb: bed.world.deps.ddb, table: bed.world.deps.table, now: bed.world.deps.now }),
    };
    /** Resolves when this release was first refused the lock in staging. */
    const firstLocked = refused.staging;
    return { handlers, locked, firstLocked, refused };
  }

  /** The image staging's storefront runs now. */
  const stagingImage = () => {
    const arn = bed.world.service('shop-staging', 'storefront').taskDefinition!;
    return bed.world.taskDefinitions.get(arn)?.containerDefinitions?.[0]?.image;
  };

  test('a newer release queues behind the rollout in flight, then rolls out after it settles', async () => {
    let racing: Promise<LocalRun> | undefined;
    const second = handlersFor('b');
    let olderVerifiedStaging: () => void = () => undefined;
    const verifiedStaging = new Promise<void>((resolve) => (olderVerifiedStaging = resolve));
    let olderInProduction: () => void = () => undefined;
    const inProduction = new Promise<void>((resolve) => (olderInProduction = resolve));
    // The older release's staging rollout is in flight when the newer one starts; the older one's rollout
    // only finishes once the newer one has been refused the lock at least once.
    const first = handlersFor('a', async (environment) => {
      if (environment === 'production') {
        olderInProduction();
        return second.refused.production;
      }
      if (racing) return;
      racing = runLocalWorkflow(definition, newer, second.handlers, fastRetries);
      await second.firstLocked;
    });
    // The order AWS normally sees (retry pauses of tens of seconds, a Verify of a few): the newer release's
    // retry comes after the older one's Verify, and it reaches production after the older one took the lock
    // there. The other order (overtaken before Verify) is the next test.
    const verifyOlder = first.handlers['Verify staging'];
    first.handlers['Verify staging'] = async (p) => {
      const verified = await verifyOlder(p);
      olderVerifiedStaging();
      return verified;
    };
    for (const [state, gate] of [
      ['Start rollout staging', verifiedStaging],
      ['Start rollout production', inProduction],
    ] as const) {
      const start = second.handlers[state];
      second.handlers[state] = async (p) => {
        if (state === 'Start rollout production' || second.locked.length > 0) await gate;
        return start(p);
      };
    }

    const a = await runLocalWorkflow(definition, older, first.handlers, fastRetries);
    const b = await racing!;

    expect([a.status, a.error]).toEqual(['SUCCEEDED', undefined]);
    expect([b.status, b.error, b.cause]).toEqual(['SUCCEEDED', undefined, undefined]);
    // The newer release was refused, retried by Step Functions, and went through without failing anything.
    expect(second.locked).toContain('staging');
    expect(b.payloads['Start rollout staging'].length).toBeGreaterThanOrEqual(2);
    expect(b.entered).not.toContain('Start rollback staging');
    expect(b.entered).not.toContain('Report failure');
    // One deployment at a time, in order: the older release's, then the newer one's, which stays.
    const updates = bed.updatesIn('shop-staging').map((u) => u.taskDefinition);
    expect(updates).toEqual([
      expect.stringMatching(/shop-staging-storefront:2$/),
      expect.stringMatching(/shop-staging-storefront:3$/),
    ]);
    expect(stagingImage()).toContain(digest('b'));
    // Both releases reached production too, the newer one queued behind the older one there as well.
    // (refused at least once in each; how many times depends on how fast the holder's rollout settles)
    expect([...new Set(second.locked)]).toEqual(['staging', 'production']);
    expect(bed.updatesIn('shop-production').map((u) => u.taskDefinition)).toEqual([
      expect.stringMatching(/shop-production-storefront:2$/),
      expect.stringMatching(/shop-production-storefront:3$/),
    ]);
    // No lock is left behind.
    expect(await readLock('staging', 'storefront', bed.world.deps)).toBeUndefined();
  });

  test('a release overtaken in staging before its Verify recorded is not promoted; the queued newer one is', async () => {
    // The lock is not held across Verify (that would deadlock multi-service releases), so the queued release
    // may roll out between the older one's rollout and its smoke checks.
    let racing: Promise<LocalRun> | undefined;
    let newerInStaging: () => void = () => undefined;
    const newerRolledOut = new Promise<void>((resolve) => (newerInStaging = resolve));
    const second = handlersFor('b');
    const startNewer = second.handlers['Start rollout staging'];
    second.handlers['Start rollout staging'] = async (p) => {
      const outcome = await startNewer(p);
      newerInStaging();
      return outcome;
    };
    const first = handlersFor('a', async () => {
      if (racing) return;
      racing = runLocalWorkflow(definition, newer, second.handlers, fastRetries);
      await second.firstLocked;
    });
    const verifyOlder = first.handlers['Verify staging'];
    first.handlers['Verify staging'] = async (p) => {
      await newerRolledOut;
      return verifyOlder(p);
    };

    const a = await runLocalWorkflow(definition, older, first.handlers, fastRetries);
    const b = await racing!;

    expect(a.status).toBe('FAILED');
    expect(a.error).toBe('PromotionRefused');
    expect(a.cause).toContain(`was replaced in "staging" by release ${newer.release.id}`);
    expect(b.status).toBe('SUCCEEDED');
    // Production only ever got the newer release; staging runs it too.
    expect(bed.updatesIn('shop-production')).toHaveLength(1);
    expect(stagingImage()).toContain(digest('b'));
    const productionArn = bed.world.service('shop-production', 'storefront').taskDefinition!;
    expect(bed.world.taskDefinitions.get(productionArn)?.containerDefinitions?.[0]?.image).toContain(
      digest('b'),
    );
  });

  test('an older release that waited behind a newer one ends superseded and leaves the newer one running', async () => {
    let racing: Promise<LocalRun> | undefined;
    const second = handlersFor('a');
    const first = handlersFor('b', async () => {
      if (racing) return;
      racing = runLocalWorkflow(definition, older, second.handlers, fastRetries);
      await second.firstLocked;
    });

    const n = await runLocalWorkflow(definition, newer, first.handlers, fastRetries);
    const o = await racing!;

    expect(n.status).toBe('SUCCEEDED');
    expect(second.locked).toContain('staging');
    expect(o.status).toBe('FAILED');
    expect(o.error).toBe('ReleaseSuperseded');
    expect(o.cause).toContain(`already runs release ${newer.release.id}`);
    // Its rollback touched nothing (the service was last changed by the newer release).
    expect(o.payloads['Report failure'][0]).toMatchObject({
      rollback: [{ service: 'storefront', untouched: expect.objectContaining({ service: 'storefront' }) }],
    });
    expect(bed.updatesIn('shop-staging')).toHaveLength(1);
    expect(stagingImage()).toContain(digest('b'));
    expect(await readLock('staging', 'storefront', bed.world.deps)).toBeUndefined();
  });

  test('waiting is bounded: a lock that is never released fails RolloutLocked after the configured attempts', async () => {
    // GIVEN a lock an aborted execution left within its lease (nobody will release it)
    await acquireLock(
      'staging',
      'storefront',
      'shop-storefront-p299-0909299',
      'arn:aws:states:eu-west-1:000011112222:execution:shipgate-release:aborted',
      bed.world.deps,
    );
    const { handlers, locked } = handlersFor('b');
    const run = await runLocalWorkflow(definition, newer, handlers, {
      retryIntervalOverrides: { 'Start rollout staging': 1 },
    });

    const { maxAttempts } = lockRetryAttempts(config);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('RolloutLocked');
    expect(run.cause).toContain('being rolled out by release shop-storefront-p299-0909299');
    expect(locked).toHaveLength(1 + maxAttempts);
    expect(run.payloads['Start rollout staging']).toHaveLength(1 + maxAttempts);
    expect(run.entered).toContain('Report failure');
    expect(bed.updatesIn('shop-staging')).toHaveLength(0);
    // The failed release never owned the lock, so "Report failure" left it with its holder.
    expect(await readLock('staging', 'storefront', bed.world.deps)).toMatchObject({
      owner: 'shop-storefront-p299-0909299',
    });
  });
});
