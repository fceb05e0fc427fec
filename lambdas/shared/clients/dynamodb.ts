import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { withSchemaVersion } from '../schema-version';
import { clientConfig } from './config';

/** DynamoDB client, created once per process. */
export const dynamo = new DynamoDBClient(clientConfig);
/**
 * Document client over `dynamo`: plain JS values in and out. Every item it writes carries the schema version
 * and every item it reads is checked against it (`../schema-version`).
 */
export const ddb = withSchemaVersion(
  DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } }),
);
