import {
  createRelease,
  getRelease,
  listReleases,
  updateRelease,
  type StoreDeps,
} from '../../../lambdas/domain/releases/store';
import { deliveryKey, getDelivery, recordDelivery } from '../../../lambdas/domain/webhook/deliveries';
import { startLocalTable, type LocalTable } from '../../helpers/dynalite';
import { pipelineRelease } from '../../helpers/release';

const TABLE = 'shipgate-store-test';
let local: LocalTable;
let deps: StoreDeps;

const release = (n: number, createdAt: string) =>
  pipelineRelease({
    project: { id: 12, path: 'root/inventory-app', webUrl: 'http://192.168.56.11/root/inventory-app' },
    pipeline: 4700 + n,
    createdAt,
  });
const arn = (id: string) => `arn:aws:states:eu-west-1:123456789012:execution:shipgate-release:${id}`;

beforeAll(async () => {
  local = await startLocalTable(TABLE);
  deps = { ddb: local.ddb, table: TABLE, now: () => new Date('2026-11-22T00:10:00.000Z') };
});

afterAll(() => local.close());

describe('release store (against dynalite)', () => {
  it('creates a release as RUNNING and reads it back', async () => {
    const r = release(1, '2026-11-21T23:00:00.000Z');
    const { record, created } = await createRelease({ release: r, executionArn: arn(r.id) }, deps);
    expect(created).toBe(true);
    expect(record).toMatchObject({ id: r.id, status: 'RUNNING', environments: {}, createdAt: r.createdAt });
    expect(await getRelease(r.id, deps)).toEqual(record);
  });

  it('is idempotent: creating the same release again keeps the stored one', async () => {
    const r = release(2, '2026-11-21T23:10:00.000Z');
    await createRelease({ release: r, executionArn: arn(r.id) }, deps);
    await updateRelease(r.id, { currentStep: 'Scan' }, deps);
    const again = await createRelease({ release: r, executionArn: arn(r.id) }, deps);
    expect(again.created).toBe(false);
    expect(again.record.currentStep).toBe('Scan');
  });

  it('returns undefined for an unknown release', async () => {
    expect(await getRelease('nope-p1-000000000000', deps)).toBeUndefined();
  });

  it('updates status, current step, per-environment outcomes and error, leaving other environments alone', async () => {
    const r = release(3, '2026-11-21T23:20:00.000Z');
    await createRelease({ release: r, executionArn: arn(r.id) }, deps);
    await updateRelease(
      r.id,
      {
        currentStep: 'Deploy staging',
        environments: {
          staging: {
            status: 'DEPLOYED',
            digests: { 'inventory-app': 'sha256:aa' },
            at: '2026-11-22T00:01:00Z',
          },
        },
      },
      deps,
    );
    const updated = await updateRelease(
      r.id,
      {
        status: 'FAILED',
        currentStep: null,
        error: { error: 'RolloutFailed', cause: 'rolled back to inventory-app:41' },
        environments: { production: { status: 'ROLLED_BACK', at: '2026-11-22T00:05:00Z' } },
      },
      deps,
    );
    expect(updated).toMatchObject({
      status: 'FAILED',
      error: { error: 'RolloutFailed' },
      environments: {
        staging: { status: 'DEPLOYED', digests: { 'inventory-app': 'sha256:aa' } },
        production: { status: 'ROLLED_BACK' },
      },
      updatedAt: '2026-11-22T00:10:00.000Z',
    });
    expect(updated.currentStep).toBeUndefined();
    const cleared = await updateRelease(r.id, { error: null }, deps);
    expect(cleared.error).toBeUndefined();
  });

  it('refuses to update an unknown release with NotFoundError', async () => {
    await expect(updateRelease('ghost-p1-000000000000', { status: 'FAILED' }, deps)).rejects.toMatchObject({
      name: 'NotFoundError',
      status: 404,
    });
  });

  it('applies ifStatus guards: a SUPERSEDED release is not turned into FAILED', async () => {
    const r = release(4, '2026-11-21T23:30:00.000Z');
    await createRelease({ release: r, executionArn: arn(r.id) }, deps);
    await updateRelease(r.id, { status: 'SUPERSEDED' }, deps);
    await expect(
      updateRelease(r.id, { status: 'FAILED', ifStatus: ['RUNNING'] }, deps),
    ).rejects.toMatchObject({
      name: 'ConflictError',
      message: expect.stringContaining('is SUPERSEDED, not RUNNING'),
    });
    expect((await getRelease(r.id, deps))?.status).toBe('SUPERSEDED');
  });

  it('rejects an unknown status', async () => {
    const r = release(1, '2026-11-21T23:00:00.000Z');
    await expect(updateRelease(r.id, { status: 'DONE' as 'FAILED' }, deps)).rejects.toThrow(
      /status must be one of/,
    );
  });

  it('lists releases newest first and pages with a cursor', async () => {
    const first = await listReleases({ limit: 2 }, deps);
    expect(first.releases.map((r) => r.createdAt)).toEqual([
      '2026-11-21T23:30:00.000Z',
      '2026-11-21T23:20:00.000Z',
    ]);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await listReleases({ limit: 2, cursor: first.nextCursor }, deps);
    expect(second.releases.map((r) => r.createdAt)).toEqual([
      '2026-11-21T23:10:00.000Z',
      '2026-11-21T23:00:00.000Z',
    ]);
    expect(second.releases.every((r) => !('pk' in r) && !('gsi1pk' in r))).toBe(true);
  });

  it('rejects a limit out of range and a forged cursor', async () => {
    await expect(listReleases({ limit: 0 }, deps)).rejects.toThrow(
      /limit must be an integer from 1 to 100; received 0/,
    );
    await expect(listReleases({ cursor: 'bm90LWEta2V5' }, deps)).rejects.toThrow(/cursor .* is not valid/);
  });
});

describe('delivery store (against dynalite)', () => {
  const record = (release: string) => ({
    deliveryKey: 'idem:b2f0c6a4-0d1e-4c55-9a61-7f1d2b8e9c01',
    eventKey: 'gitlab:12:pipeline:4711:success',
    release,
    execution: release,
    executionArn: arn(release),
    receivedAt: '2026-11-22T00:00:00.000Z',
  });

  it('records the first answer for a delivery and keeps it against a concurrent second writer', async () => {
    expect(await getDelivery('idem:b2f0c6a4-0d1e-4c55-9a61-7f1d2b8e9c01', deps)).toBeUndefined();
    const first = await recordDelivery(record('inventory-app-p4711-1a2b3c4d5e6f'), deps);
    const second = await recordDelivery(record('something-else-p1-000000000000'), deps);
    expect(second).toEqual(first);
    expect(await getDelivery(first.deliveryKey, deps)).toEqual(first);
  });

  it('builds safe keys: Idempotency-Key, else webhook-id, else the event; odd values hashed', () => {
    expect(
      deliveryKey({ idempotencyKey: 'abc-123', webhookId: 'msg_1' }, 'gitlab:1:pipeline:2:success'),
    ).toBe('idem:abc-123');
    expect(deliveryKey({ webhookId: 'msg_1' }, 'gitlab:1:pipeline:2:success')).toBe('whid:msg_1');
    expect(deliveryKey({}, 'gitlab:1:pipeline:2:success')).toBe('event:gitlab:1:pipeline:2:success');
    expect(deliveryKey({ idempotencyKey: 'x'.repeat(500) }, 'e')).toMatch(/^idem:sha256:[0-9a-f]{64}$/);
    expect(deliveryKey({ idempotencyKey: 'a b#c' }, 'e')).toMatch(/^idem:sha256:/);
  });
});
