import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { clientConfig } from './config';

/** DynamoDB client, created once per process. */
export const dynamo = new DynamoDBClient(clientConfig);
/** Document client over `dynamo`: plain JS values in and out. */
export const ddb = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
