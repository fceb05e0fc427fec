/**
 * Links people follow from chat, GitLab and the confirm page.
 */

/**
 * Where a person can watch an execution: the local console in the sandbox (`SHIPGATE_CONSOLE_URL`), the
 * Step Functions console otherwise.
 * @example executionUrl('arn:aws:states:eu-west-1:123456789012:execution:shipgate-release:abc')
 */
export function executionUrl(executionArn: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.SHIPGATE_CONSOLE_URL) {
    return `${env.SHIPGATE_CONSOLE_URL.replace(/\/$/, '')}/#/executions/${encodeURIComponent(executionArn)}`;
  }
  const region = executionArn.split(':')[3] || env.AWS_REGION || 'us-east-1';
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${encodeURIComponent(executionArn)}`;
}

/** Base URL of Shipgate's own HTTP surface (approval links), without a trailing slash. */
export function publicUrl(env: NodeJS.ProcessEnv = process.env): string {
  return (env.SHIPGATE_PUBLIC_URL ?? 'http://localhost:3000').replace(/\/$/, '');
}
