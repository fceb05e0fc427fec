import { ECRClient } from '@aws-sdk/client-ecr';
import { clientConfig } from './config';

/** ECR client, created once per process. */
export const ecr = new ECRClient(clientConfig);
