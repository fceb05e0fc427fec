import { LambdaClient } from '@aws-sdk/client-lambda';
import { clientConfig } from './config';

/** Lambda client (asynchronous invokes of long-running actions), created once per process. */
export const lambda = new LambdaClient(clientConfig);
