import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * AWS SDK clients, created once per process. Endpoints come from the standard SDK settings
 * (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`), which is how the sandbox points them at its local
 * endpoint. Domain functions take these as defaults of injectable dependencies.
 */
const clientConfig = { maxAttempts: 4 } as const;

export const sfn = new SFNClient(clientConfig);
export const ecs = new ECSClient(clientConfig);
export const ecr = new ECRClient(clientConfig);
export const ssm = new SSMClient(clientConfig);
export const codeDeploy = new CodeDeployClient(clientConfig);
export const dynamo = new DynamoDBClient(clientConfig);
/** Document client over `dynamo`: plain JS values in and out. */
export const ddb = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
