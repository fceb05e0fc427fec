import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { ensureTable } from '../../../sandbox/dynamodb';

/**
 * DynamoDB (and dynalite) answer CreateTable with the table CREATING; item requests fail with
 * ResourceNotFoundException until it is ACTIVE. ensureTable must not return before that, or the first
 * webhook after start-up can fail with a 500 on a busy machine (seen once in CI). A dynalite that takes
 * 300 ms to create a table makes the window wide enough to test deterministically.
 */
describe('ensureTable waits for the table to be ACTIVE', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shipgate-dynalite-ready-'));
  let server: Server;
  let endpoint: string;

  beforeAll(async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const dynalite = require('dynalite') as (opts: Record<string, unknown>) => Server;
    server = dynalite({ path: dir, createTableMs: 300 });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('returns only once the table and its index are ACTIVE, so the next write succeeds', async () => {
    const started = Date.now();
    await ensureTable(endpoint, 'shipgate-ready');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    const ddb = new DynamoDBClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
    const { Table } = await ddb.send(new DescribeTableCommand({ TableName: 'shipgate-ready' }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.GlobalSecondaryIndexes?.map((i) => i.IndexStatus)).toEqual(['ACTIVE']);
    await expect(
      ddb.send(
        new PutItemCommand({
          TableName: 'shipgate-ready',
          Item: { pk: { S: 'RELEASE#1' }, sk: { S: 'RELEASE' } },
        }),
      ),
    ).resolves.toBeDefined();
    ddb.destroy();
  });
});
