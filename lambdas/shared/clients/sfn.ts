import { SFNClient } from '@aws-sdk/client-sfn';
import { clientConfig } from './config';

/** Step Functions client, created once per process. */
export const sfn = new SFNClient(clientConfig);
