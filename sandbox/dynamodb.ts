import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { sandboxAdminKeys } from './aws/accounts';
import { SANDBOX_ACCOUNT } from './aws/protocol';
import { TABLE_KEYS } from '../lambdas/shared/table';

/** A running dynalite. */
export interface LocalDynamo {
  port: number;
  /** Stops accepting requests, waits up to `graceMs` (default 5 s) for those in flight, then closes. */
  close(graceMs?: number): Promise<void>;
}

/**
 * Starts dynalite on 127.0.0.1 with its LevelDB data under `dataDir` (persistent across restarts), or in
 * memory when no `dataDir` is given (tests).
 */
export async function startDynalite(dataDir?: string): Promise<LocalDynamo> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dynalite = require('dynalite') as (opts: Record<string, unknown>) => import('node:http').Server;
  const server = dynalite({
    ...(dataDir ? { path: dataDir } : {}),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolveListen());
  });
  // dynalite closes its LevelDB when the server closes and throws (uncaught) from any request still being
  // served then; so a close stops accepting, lets in-flight requests finish (bounded), then closes.
  let inFlight = 0;
  let idle: (() => void) | undefined;
  server.on('request', (_req, res: import('node:http').ServerResponse) => {
    inFlight++;
    res.once('close', () => {
      inFlight--;
      if (inFlight === 0) idle?.();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: async (graceMs = 5000) => {
      const closed = new Promise<void>((resolveClose) => server.close(() => resolveClose()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolveIdle) => {
          idle = resolveIdle;
          timer = setTimeout(resolveIdle, graceMs);
        });
        clearTimeout(timer);
      }
      server.closeAllConnections();
      await closed;
    },
  };
}

/** How long {@link ensureTable} waits for a table to become ACTIVE before giving up. */
const TABLE_ACTIVE_TIMEOUT_MS = 10_000;

/**
 * Creates Shipgate's table (layout of `lambdas/shared/table.ts`) when it does not exist, and returns once it
 * is ACTIVE. Like DynamoDB, dynalite answers CreateTable with the table CREATING and turns it ACTIVE a moment
 * later (a timer, then a LevelDB write); until then every item request is a ResourceNotFoundException, so a
 * request arriving right after start-up on a busy machine would fail.
 * @throws Error when the table is not ACTIVE within 10 s.
 */
export async function ensureTable(endpoint: string, tableName: string): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    // The administrator of Shipgate's account creates the table (what the CDK stack does in AWS).
    credentials: sandboxAdminKeys(SANDBOX_ACCOUNT),
  });
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    await waitUntilActive(client, tableName);
    client.destroy();
    return;
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) {
      client.destroy();
      throw err;
    }
  }
  const { partitionKey, sortKey, gsi1 } = TABLE_KEYS;
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: partitionKey, AttributeType: 'S' },
        { AttributeName: sortKey, AttributeType: 'S' },
        { AttributeName: gsi1.partitionKey, AttributeType: 'S' },
        { AttributeName: gsi1.sortKey, AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: partitionKey, KeyType: 'HASH' },
        { AttributeName: sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: gsi1.name,
          KeySchema: [
            { AttributeName: gsi1.partitionKey, KeyType: 'HASH' },
            { AttributeName: gsi1.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
  await waitUntilActive(client, tableName);
  client.destroy();
}

/** Polls DescribeTable until the table and its indexes are ACTIVE (bounded). */
async function waitUntilActive(client: DynamoDBClient, tableName: string): Promise<void> {
  const deadline = Date.now() + TABLE_ACTIVE_TIMEOUT_MS;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexes = Table?.GlobalSecondaryIndexes ?? [];
    if (Table?.TableStatus === 'ACTIVE' && indexes.every((i) => i.IndexStatus === 'ACTIVE')) return;
    if (Date.now() > deadline) {
      throw new Error(
        `DynamoDB table ${tableName} is still ${Table?.TableStatus ?? 'missing'} after ${TABLE_ACTIVE_TIMEOUT_MS} ms`,
      );
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}
