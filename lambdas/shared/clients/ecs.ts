import { ECSClient } from '@aws-sdk/client-ecs';
import { clientConfig } from './config';

/** ECS client, created once per process. */
export const ecs = new ECSClient(clientConfig);
