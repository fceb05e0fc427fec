import { userInfo } from 'node:os';

/**
 * Who a command acts as in the sandbox (a rollback's `by`, a quarantine lift's `by`) when `--by` is not given:
 * `$USER`, else the login name of the process, else `unknown`. One rule, so every command records the same name.
 * @example cliActor({ USER: 'alice' }) // 'alice'
 */
export function cliActor(env: NodeJS.ProcessEnv): string {
  if (env.USER) return env.USER;
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
