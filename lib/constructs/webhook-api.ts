import { Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** Properties of {@link WebhookApi}. */
export interface WebhookApiProps {
  /** The hono Lambda (`lambdas/http/handler.ts`) serving every route. */
  readonly handler: IFunction;
  /** Steady-state request rate limit of the stage. @default 50 */
  readonly rateLimit?: number;
  /** Burst limit of the stage. @default 100 */
  readonly burstLimit?: number;
  /** Retention of the access logs. @default logs.RetentionDays.THREE_MONTHS */
  readonly accessLogRetention?: logs.RetentionDays;
}

/** Routes of Shipgate's HTTP surface (design brief, "HTTP"), all served by the one hono Lambda. */
export const API_ROUTES: ReadonlyArray<{ path: string; methods: apigw.HttpMethod[] }> = [
  { path: '/webhooks/gitlab', methods: [apigw.HttpMethod.POST] },
  // Other methods reach the app too, so GitLab tooling gets the contract's 405 rather than a gateway 404.
  { path: '/webhooks/gitlab', methods: [apigw.HttpMethod.ANY] },
  {
    path: '/approvals/{proxy+}',
    methods: [apigw.HttpMethod.GET, apigw.HttpMethod.HEAD, apigw.HttpMethod.POST],
  },
  { path: '/slack/interactions', methods: [apigw.HttpMethod.POST] },
  { path: '/api/releases', methods: [apigw.HttpMethod.GET] },
  { path: '/api/releases/{id}', methods: [apigw.HttpMethod.GET] },
  { path: '/api/rollbacks', methods: [apigw.HttpMethod.GET, apigw.HttpMethod.POST] },
  { path: '/api/rollbacks/{id}', methods: [apigw.HttpMethod.GET] },
  { path: '/healthz', methods: [apigw.HttpMethod.GET] },
];

/**
 * The public HTTP API (API Gateway v2): GitLab webhooks, approval pages, Slack interactions and the status
 * API, all proxied (payload format 2.0) to the hono Lambda, with JSON access logs and stage throttling.
 * Authentication happens in the app (webhook token/HMAC, signed links, Slack signatures).
 */
export class WebhookApi extends Construct {
  /** The HTTP API. */
  readonly api: apigw.HttpApi;
  /** The `$default` stage. */
  readonly stage: apigw.HttpStage;
  /** Base URL of the API, without a trailing slash. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: WebhookApiProps) {
    super(scope, id);
    this.api = new apigw.HttpApi(this, 'Api', {
      description: 'Shipgate: GitLab webhooks, approvals, Slack interactions and release status',
      createDefaultStage: false,
    });
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? logs.RetentionDays.THREE_MONTHS,
    });
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit ?? 50, burstLimit: props.burstLimit ?? 100 },
      accessLogSettings: { destination: new apigw.LogGroupLogDestination(accessLogs) },
    });
    const integration = new HttpLambdaIntegration('Handler', props.handler, {
      payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0,
    });
    for (const route of API_ROUTES) {
      this.api.addRoutes({ path: route.path, methods: route.methods, integration });
    }
    this.url = this.api.apiEndpoint;
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Callers are GitLab, Slack and people following signed links, none of which can present IAM or JWT credentials; the app authenticates every mutating route itself (webhook token or HMAC signature, Slack signature, signed expiring links).',
    });
  }
}
