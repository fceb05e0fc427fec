import { SSMClient } from '@aws-sdk/client-ssm';
import { clientConfig } from './config';

/** SSM client, created once per process. */
export const ssm = new SSMClient(clientConfig);
