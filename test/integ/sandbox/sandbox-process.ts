import { ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { readFileSync } from 'node:fs';
import { freePort } from './support';

const ROOT = resolve(__dirname, '..', '..', '..');

/**
 * Writes a sandbox test config: the repository's example config without deploy freezes (a weekend freeze
 * would park production releases until Monday), with a quick Verify, and api-gateway deploying to staging
 * with CodeDeploy blue/green.
 */
export function writeTestConfig(dir: string, options: { keepPauses?: boolean } = {}): string {
  const config = parse(readFileSync(join(ROOT, 'shipgate.config.yaml'), 'utf8')) as {
    environments: { freezes?: unknown }[];
    services: Record<string, { environments?: Record<string, Record<string, unknown>> }>;
    verify?: unknown;
  };
  for (const env of config.environments) delete env.freezes;
  // The example pauses billing-app's production canary for people to decide; only the pause test keeps it
  // (test/integ/sandbox/pause-flow.test.ts), the other flows run the canary straight through.
  if (!options.keepPauses) {
    for (const svc of Object.values(config.services)) {
      for (const o of Object.values(svc.environments ?? {})) delete o.pauses;
    }
  }
  // One CodeDeploy blue/green service, so the CodeDeploy path runs end to end too.
  config.services['api-gateway'].environments = { staging: { strategy: 'CODEDEPLOY' } };
  config.verify = { attempts: 2, interval: '1s', requestTimeout: '2s' };
  const file = join(dir, 'shipgate.config.yaml');
  writeFileSync(file, stringify(config));
  return file;
}

/** A sandbox started as `shipgate dev` in a child process (exactly what `npm start` runs). */
export class SandboxProcess {
  private child?: ChildProcess;
  output = '';

  constructor(private readonly env: Record<string, string>) {}

  /** The release state machine's ARN, as the start-up banner prints it. */
  get stateMachineArn(): string {
    const found = /State machine\s+(\S+)/.exec(this.output);
    if (!found) throw new Error(`the sandbox printed no state machine ARN:\n${this.output}`);
    return found[1];
  }

  /**
   * Starts `node bin/shipgate-cli.js dev` (what `npm start` runs) and resolves once it printed that it is running.
   * `env` overrides variables for this start only (e.g. a slower SHIPGATE_SANDBOX_PHASE_MS on the same state).
   */
  async start(timeoutMs = 60000, env: Record<string, string> = {}): Promise<void> {
    this.output = '';
    const child = spawn(process.execPath, ['bin/shipgate-cli.js', 'dev'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        SHIPGATE_LOG_LEVEL: 'WARN',
        ...this.env,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Own process group, so a stop signals it the way a terminal's Ctrl-C does.
      detached: true,
    });
    this.child = child;
    child.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    await new Promise<void>((resolveStart, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`sandbox did not start in ${timeoutMs} ms:\n${this.output}`)),
        timeoutMs,
      );
      const check = () => {
        if (this.output.includes('Stop with Ctrl-C.')) {
          clearTimeout(timer);
          resolveStart();
        }
      };
      child.stdout!.on('data', check);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`sandbox exited with ${code} before it was ready:\n${this.output}`));
      });
    });
  }

  /** Sends `signal` to the sandbox process alone (not its group), e.g. SIGHUP to upgrade it. */
  signal(signal: NodeJS.Signals): void {
    if (!this.child?.pid) throw new Error('the sandbox is not running');
    process.kill(this.child.pid, signal);
  }

  /** Stops it with a signal and resolves with the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    // To the whole process group, as a terminal's Ctrl-C does.
    process.kill(-child.pid!, signal);
    return exited;
  }
}

/**
 * A test sandbox (not started yet) on free loopback ports, its state in `dir`, taking webhooks with `token`, with
 * rollout phases of 150 ms. Its config is `configFile`, else the test config (`writeTestConfig`) written into `dir`;
 * `env` adds or overrides variables.
 */
export async function testSandbox(
  dir: string,
  token: string,
  options: { env?: Record<string, string>; configFile?: string } = {},
): Promise<{ sandbox: SandboxProcess; url: string; endpoint: string }> {
  const [port, awsPort] = [await freePort(), await freePort()];
  const sandbox = new SandboxProcess({
    PORT: String(port),
    SHIPGATE_AWS_PORT: String(awsPort),
    SHIPGATE_STATE_DIR: dir,
    SHIPGATE_CONFIG: options.configFile ?? writeTestConfig(dir),
    SHIPGATE_WEBHOOK_TOKEN: token,
    SHIPGATE_SANDBOX_PHASE_MS: '150',
    ...options.env,
  });
  return { sandbox, url: `http://127.0.0.1:${port}`, endpoint: `http://127.0.0.1:${awsPort}` };
}
