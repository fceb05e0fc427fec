import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import type { LocalLambdas } from '../workflow/lambda';

/** One event of an execution's history, shaped like `GetExecutionHistory`'s. */
export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: number;
  type: string;
  [details: string]: unknown;
}

/** A persisted execution. */
export interface StoredExecution {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  startDate: number;
  stopDate?: number;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  /** The state machine version it runs, when started with a version or alias ARN (issue 31). */
  stateMachineVersionArn?: string;
  /** The alias it was started through, if any. */
  stateMachineAliasArn?: string;
  history: HistoryEvent[];
}

/** A state machine the sandbox runs. */
export interface LocalStateMachine {
  name: string;
  arn: string;
  definition: StateMachineDefinition;
  definitionText: string;
  createdAt: number;
  lambdas: LocalLambdas;
  /** The published version this is (`<arn>:<version>`); every registration publishes one. */
  version: string;
  /** When this version was published (epoch seconds). */
  versionCreatedAt: number;
}

/** Performs an AWS SDK service integration (`arn:aws:states:::aws-sdk:<service>:<action>`) locally. */
export type SdkIntegration = (service: string, action: string, parameters: unknown) => Promise<unknown>;

/**
 * Where the Step Functions emulator keeps its executions: every execution by ARN, and a way to say one
 * changed. `ExecutionStore` persists them (one file per execution); the emulator knows only this interface.
 */
export interface ExecutionRecords {
  /** Every execution by ARN. */
  readonly executions: Record<string, StoredExecution>;
  /** Schedules a write of one execution. */
  changed(executionArn: string): void;
}
