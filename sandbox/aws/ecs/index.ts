/**
 * Emulated Amazon ECS (see {@link EcsEmulator}): what the rest of the sandbox, the bench and the tests import.
 */
export { EcsEmulator } from './emulator';
export {
  DEPLOYMENT_LOG_LIMIT,
  type DeploymentLogEntry,
  type EcsState,
  type HookInvoker,
  type ImageRegistry,
  type StoredDeployment,
  type StoredService,
  type StoredTaskDefinition,
} from './model';
export type { StoredServiceDeployment } from './service-deployment-model';
export { eventEnvelope, type EventBridgeEvent, type EventSink } from '../eventbridge';
