import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { clientConfig } from './config';

/** CloudWatch client (alarm states for pause messages), created once per process. */
export const cloudwatch = new CloudWatchClient(clientConfig);
