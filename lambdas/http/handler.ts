import { handle } from 'hono/aws-lambda';
import { app } from './app';

/** API Gateway (HTTP API, payload v2) entry point of the hono app. */
export const handler = handle(app);
