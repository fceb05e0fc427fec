import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The process-wide structured JSON logger (Powertools). Never pass secrets, signed links or task tokens
 * to it; log ids (release, approval, execution ARN) instead.
 */
export const logger = new Logger({
  serviceName: 'shipgate',
  logLevel: (process.env.SHIPGATE_LOG_LEVEL ?? (process.env.JEST_WORKER_ID ? 'SILENT' : 'INFO')) as 'INFO',
});
