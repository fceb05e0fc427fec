import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import {
  listPendingApprovalIds,
  markTaskResult,
  readApprovalRecord,
  toView,
} from '../../../lambdas/domain/approvals/store';
import { getQuarantine, listQuarantines } from '../../../lambdas/domain/ledger/quarantine';
import {
  getLedgerEntry,
  getLedgerHead,
  ledgerStartedAt,
  listLedgerEntries,
} from '../../../lambdas/domain/ledger/store';
import { readPauseRecord, toPauseView } from '../../../lambdas/domain/pauses/store';
import { getRelease, listReleases, updateRelease } from '../../../lambdas/domain/releases/store';
import { getRollback, listRollbacks } from '../../../lambdas/domain/rollback/store';
import { readLock } from '../../../lambdas/domain/rollout/lock';
import { listRolloutRecords } from '../../../lambdas/domain/reconcile/orphans';
import {
  getDeployed,
  getRecord,
  getRecordByGroup,
  registerToken,
} from '../../../lambdas/domain/rollout/records';
import type { RolloutRecord } from '../../../lambdas/domain/rollout/types';
import { getDelivery } from '../../../lambdas/domain/webhook/deliveries';
import {
  SCHEMA_VERSION,
  SchemaVersionError,
  versionReads,
  versionWrites,
  withSchemaVersion,
} from '../../../lambdas/shared/schema-version';
import { fixtureWorld as w } from '../../fixtures/table-items/world';
import { startLocalTable, type LocalTable } from '../../helpers/dynalite';

/**
 * Issue 31: the functions that answer parked releases (the HTTP app, `rollout-events`, `execution-events`,
 * the reconciler) run the newest build against items an older build wrote. The fixtures under
 * test/fixtures/table-items/ are raw items written by older builds (never regenerated); each is loaded into
 * dynalite as it is and read through the store functions those handlers call, on a client with the
 * schema-version middleware exactly as `lambdas/shared/clients/dynamodb.ts` builds it.
 */
const FIXTURES = join(__dirname, '../../fixtures/table-items');
const fixtureFiles = readdirSync(FIXTURES).filter((f) => /^v\d+-items\.json$/.test(f));
const loadFixture = (file: string) =>
  JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as Record<string, AttributeValue>[];

let local: LocalTable;
let client: DynamoDBClient;
let deps: { ddb: LocalTable['ddb']; table: string };

beforeAll(async () => {
  local = await startLocalTable('shipgate-compat-test');
  // The stores' client, built as lambdas/shared/clients/dynamodb.ts builds it; `local.ddb` (its own
  // low-level client, no middleware) writes and reads the raw items.
  client = new DynamoDBClient({
    endpoint: local.endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  deps = {
    ddb: withSchemaVersion(
      DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
    ),
    table: local.table,
  };
});
afterAll(async () => {
  client.destroy();
  await local.close();
});

/** Writes the fixture's raw items exactly as stored (the low-level client, no middleware of ours). */
async function loadItems(file: string): Promise<void> {
  for (const item of loadFixture(file)) {
    await local.ddb.send(new PutItemCommand({ TableName: local.table, Item: item }));
  }
}

it('has the fixture of the items written before schema versions (v0), one item of every kind', () => {
  expect(fixtureFiles).toContain('v0-items.json');
  const kinds = loadFixture('v0-items.json').map((i) => i.pk.S!.split('#')[0]);
  expect(kinds.sort()).toEqual(
    [
      'APPROVAL',
      'APPROVAL_LATEST',
      'DELIVERY',
      'DEPLOYED',
      'LEDGER',
      'LEDGER_HEAD',
      'LEDGER_META',
      'LOCK',
      'PAUSE',
      'QUARANTINE',
      'RELEASE',
      'ROLLBACK',
      'ROLLOUT',
      'ROLLOUTGROUP',
    ].sort(),
  );
  expect(loadFixture('v0-items.json').every((i) => !('sv' in i))).toBe(true);
});

describe.each(fixtureFiles)('the current code reads the items of %s', (file) => {
  beforeAll(() => loadItems(file));

  it('releases (HTTP app, execution-events, the reconciler)', async () => {
    const release = await getRelease(w.release.id, deps);
    expect(release).toMatchObject({
      id: w.release.id,
      executionArn: w.executionArn,
      status: 'RUNNING',
      release: w.release,
      currentStep: 'Approve production',
      environments: w.releaseUpdate.environments,
      createdAt: w.release.createdAt,
    });
    expect(release).not.toHaveProperty('sv');
    const { releases } = await listReleases({ limit: 10 }, deps);
    expect(releases.map((r) => r.id)).toEqual([w.release.id]);
  });

  it('webhook deliveries (HTTP app)', async () => {
    expect(await getDelivery(w.delivery.deliveryKey, deps)).toEqual(w.delivery);
  });

  it('approvals and their task token (HTTP app: pages, votes, Slack)', async () => {
    const record = await readApprovalRecord(deps, w.approval.id);
    expect(record).toMatchObject({ ...w.approval, taskResult: w.approvalTaskResult });
    expect(record!.taskToken).toBe(w.approval.taskToken);
    const {
      taskToken: _t,
      pk: _p,
      sk: _s,
      gsi1pk: _g,
      gsi1sk: _gs,
      approveCount: _c,
      ttl: _ttl,
      ...view
    } = w.approval;
    expect(toView(record!)).toEqual({ ...view, votes: {} });
    expect(await listPendingApprovalIds(deps, w.release.project.id)).toEqual([w.approval.id]);
  });

  it('pauses (HTTP app: pause pages and decisions)', async () => {
    const record = await readPauseRecord(deps, w.pause.id);
    expect(record).toEqual(w.pause);
    const { pk: _p, sk: _s, continueCount: _c, ttl: _ttl, ...view } = w.pause;
    expect(toPauseView(record!)).toEqual(view);
  });

  it('rollout records and their task token, locks and deployed history (rollout-events, the reconciler)', async () => {
    const record = await getRecord(w.rollout.clusterName, w.rollout.serviceName, deps);
    expect(record).toMatchObject({ ...w.rollout, taskToken: w.rolloutTaskToken });
    expect(await getRecordByGroup('shop', 'inventory-app-production', deps)).toEqual(record);
    expect(await listRolloutRecords(deps, w.release.id)).toEqual([expect.objectContaining({ ...w.rollout })]);
    expect(await readLock('production', 'inventory-app', deps)).toMatchObject({
      owner: w.release.id,
      executionArn: w.executionArn,
      acquiredAt: w.at,
    });
    expect(await getDeployed('production', 'inventory-app', deps)).toMatchObject({ history: [w.deployed] });
  });

  it('the ledger, quarantines and manual rollbacks (HTTP app)', async () => {
    expect(await getLedgerEntry(w.ledgerEntry.id, deps)).toEqual(w.ledgerEntry);
    expect(
      await listLedgerEntries('production', '2026-12-01T00:00:00.000Z', '2026-12-02T00:00:00.000Z', deps),
    ).toEqual([w.ledgerEntry]);
    expect(await getLedgerHead('production', 'inventory-app', deps)).toMatchObject({
      commitSha: w.release.commit.sha,
    });
    expect(await ledgerStartedAt(deps)).toBe(w.release.createdAt);
    const quarantine = await getQuarantine('inventory-app', w.quarantineDigest, deps);
    expect(quarantine).toMatchObject({
      service: 'inventory-app',
      digest: w.quarantineDigest,
      rollbacks: [expect.objectContaining({ entryId: w.quarantineRollback.id, by: 'dana' })],
    });
    expect((await listQuarantines(deps)).map((q) => q.digest)).toEqual([w.quarantineDigest]);
    expect(await getRollback(w.rollback.id, deps)).toEqual(w.rollback);
    expect(await listRollbacks(10, deps)).toEqual([w.rollback]);
  });
});

describe('schema version on write', () => {
  const rawSv = async (pk: string, sk: string) =>
    (
      await local.ddb.send(
        new GetItemCommand({ TableName: local.table, Key: { pk: { S: pk }, sk: { S: sk } } }),
      )
    ).Item?.sv;

  it('updates of old items by the new code stamp the current version and keep what was there', async () => {
    await markTaskResult(deps, w.approval.id, { at: w.at, sent: true });
    expect(await rawSv(w.approval.pk, 'APPROVAL')).toEqual({ N: String(SCHEMA_VERSION) });
    expect(await readApprovalRecord(deps, w.approval.id)).toMatchObject({ taskToken: w.approval.taskToken });

    await updateRelease(w.release.id, { currentStep: 'Deploy production' }, deps);
    expect(await rawSv(`RELEASE#${w.release.id}`, 'RELEASE')).toEqual({ N: String(SCHEMA_VERSION) });
    expect(await getRelease(w.release.id, deps)).toMatchObject({ currentStep: 'Deploy production' });

    const record = (await getRecord(w.rollout.clusterName, w.rollout.serviceName, deps)) as RolloutRecord;
    expect(await registerToken(record, 'TEST-ONLY-next-token', w.executionArn, deps)).toBe(true);
    expect(await rawSv(record.pk, 'ROLLOUT')).toEqual({ N: String(SCHEMA_VERSION) });
    expect((await getRecord(w.rollout.clusterName, w.rollout.serviceName, deps))!.taskToken).toBe(
      'TEST-ONLY-next-token',
    );
  });

  it('puts stamp the current version; the store never sees the attribute', async () => {
    await deps.ddb.send(
      new PutCommand({ TableName: local.table, Item: { pk: 'NOTICE#r1', sk: 'sent', at: w.at } }),
    );
    expect(await rawSv('NOTICE#r1', 'sent')).toEqual({ N: String(SCHEMA_VERSION) });
    const out = await deps.ddb.send(
      new GetCommand({ TableName: local.table, Key: { pk: 'NOTICE#r1', sk: 'sent' } }),
    );
    expect(out.Item).toEqual({ pk: 'NOTICE#r1', sk: 'sent', at: w.at });
  });

  it('refuses an item of a newer schema version, naming its kind and the versions', async () => {
    await local.ddb.send(
      new PutItemCommand({
        TableName: local.table,
        Item: {
          pk: { S: 'ROLLBACK#rb-future' },
          sk: { S: 'ROLLBACK' },
          gsi1pk: { S: 'ROLLBACKS' },
          gsi1sk: { S: '2026-12-02T00:00:00.000Z' },
          sv: { N: String(SCHEMA_VERSION + 1) },
          id: { S: 'rb-future' },
        },
      }),
    );
    const read = getRollback('rb-future', deps);
    await expect(read).rejects.toBeInstanceOf(SchemaVersionError);
    await expect(getRollback('rb-future', deps)).rejects.toThrow(
      `table item ROLLBACK#rb-future/ROLLBACK (ROLLBACK) has schema version ${SCHEMA_VERSION + 1}, but this ` +
        `Shipgate reads versions 0 to ${SCHEMA_VERSION}`,
    );
    // A listing that meets it refuses too, rather than showing a misread entry.
    await expect(listRollbacks(10, deps)).rejects.toThrow(/schema version/);
  });
});

describe('versionWrites / versionReads (the middleware on every request shape)', () => {
  it('stamps puts and updates inside transactions and batch writes, in both value forms', () => {
    const input = versionWrites({
      TransactItems: [
        { Put: { TableName: 't', Item: { pk: 'A#1', sk: 'A' } } },
        { Update: { TableName: 't', Key: { pk: 'A#2', sk: 'A' }, UpdateExpression: 'REMOVE x' } },
        {
          Update: {
            TableName: 't',
            Key: { pk: { S: 'A#3' }, sk: { S: 'A' } },
            UpdateExpression: 'SET #offset = :v',
          },
        },
      ],
    });
    const [put, remove, set] = input.TransactItems as Record<string, Record<string, unknown>>[];
    expect(put.Put.Item).toEqual({ pk: 'A#1', sk: 'A', sv: SCHEMA_VERSION });
    expect(remove.Update).toMatchObject({
      UpdateExpression: 'SET #shipgateSv = :shipgateSv REMOVE x',
      ExpressionAttributeNames: { '#shipgateSv': 'sv' },
      ExpressionAttributeValues: { ':shipgateSv': SCHEMA_VERSION },
    });
    expect(set.Update).toMatchObject({
      UpdateExpression: 'SET #shipgateSv = :shipgateSv, #offset = :v',
      ExpressionAttributeValues: { ':shipgateSv': { N: String(SCHEMA_VERSION) } },
    });
    const batch = versionWrites({ RequestItems: { t: [{ PutRequest: { Item: { pk: 'B#1', sk: 'B' } } }] } });
    expect(batch.RequestItems).toEqual({
      t: [{ PutRequest: { Item: { pk: 'B#1', sk: 'B', sv: SCHEMA_VERSION } } }],
    });
  });

  it('checks and strips items of every read shape', () => {
    expect(
      versionReads({
        Responses: [{ Item: { pk: 'A#1', sk: 'A', sv: SCHEMA_VERSION } }, {}],
        Attributes: { pk: 'A#2', sk: 'A', sv: 0 },
      }),
    ).toEqual({ Responses: [{ Item: { pk: 'A#1', sk: 'A' } }, {}], Attributes: { pk: 'A#2', sk: 'A' } });
    expect(
      versionReads({ Responses: { t: [{ pk: { S: 'A#1' }, sk: { S: 'A' }, sv: { N: '1' } }] } }),
    ).toEqual({
      Responses: { t: [{ pk: { S: 'A#1' }, sk: { S: 'A' } }] },
    });
    // Raw attributes without a raw key (UPDATED_NEW, a projection): the version is still a raw number.
    expect(versionReads({ Attributes: { status: { S: 'DONE' }, sv: { N: '1' } } })).toEqual({
      Attributes: { status: { S: 'DONE' } },
    });
    expect(() => versionReads({ Items: [{ pk: 'LOCK#p#s', sk: 'LOCK', sv: 'one' }] })).toThrow(
      'table item LOCK#p#s/LOCK (LOCK) has schema version one',
    );
  });
});
