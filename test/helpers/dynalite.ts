import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ensureTable, startDynalite } from '../../sandbox/dynamodb';

/**
 * The one DynamoDB set-up of the tests: dynalite (a real DynamoDB implementation, in memory) on 127.0.0.1
 * with Shipgate's table as the sandbox creates it (`sandbox/dynamodb.ts` `ensureTable`: the key schema and
 * gsi1 of `lambdas/shared/table.ts`), so conditional writes, `list_append`, `contains` and gsi1 range
 * queries are checked for real.
 */
export interface LocalTable {
  /** `http://127.0.0.1:<port>`, for `AWS_ENDPOINT_URL_DYNAMODB` or a client of the test's own. */
  endpoint: string;
  /** dynalite's port (what the sandbox's AWS endpoint forwards DynamoDB calls to). */
  port: number;
  /** The table's name. */
  table: string;
  /** A low-level client on the endpoint (dummy credentials). */
  client: DynamoDBClient;
  /** A document client on it, removing undefined values like the Lambdas' own. */
  ddb: DynamoDBDocumentClient;
  /**
   * The variables that point Shipgate's shared clients at this table, as the sandbox points them: the
   * DynamoDB endpoint (`AWS_ENDPOINT_URL_DYNAMODB`), the region, dummy keys and `SHIPGATE_TABLE`.
   * @example Object.assign(process.env, db.lambdaEnv, { SHIPGATE_PUBLIC_URL: 'https://shipgate.example.test' });
   */
  lambdaEnv: Readonly<Record<string, string>>;
  /** Destroys the clients and stops dynalite. */
  close(): Promise<void>;
}

/**
 * Starts dynalite and creates `table`, ACTIVE when this resolves.
 * @example
 * let db: LocalTable;
 * beforeAll(async () => (db = await startLocalTable('shipgate-ledger-test')));
 * afterAll(() => db.close());
 */
export async function startLocalTable(table = 'shipgate-test', region = 'eu-west-1'): Promise<LocalTable> {
  const dynamo = await startDynalite();
  const endpoint = `http://127.0.0.1:${dynamo.port}`;
  await ensureTable(endpoint, table);
  const client = new DynamoDBClient({
    endpoint,
    region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const ddb = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return {
    endpoint,
    port: dynamo.port,
    table,
    client,
    ddb,
    lambdaEnv: {
      AWS_ENDPOINT_URL_DYNAMODB: endpoint,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      SHIPGATE_TABLE: table,
    },
    close: async () => {
      client.destroy();
      await dynamo.close();
    },
  };
}
