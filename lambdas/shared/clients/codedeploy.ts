import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { clientConfig } from './config';

/** CodeDeploy client, created once per process. */
export const codeDeploy = new CodeDeployClient(clientConfig);
