import { spawn, type ChildProcess } from 'node:child_process';
import { dirname } from 'node:path';
import { waitFor } from './process';

/** A service running as a real child process (`node --import tsx src/main.ts`), for signal tests. */
export interface ServiceProcess {
  readonly child: ChildProcess;
  /** Base URL of its HTTP listener. */
  readonly baseUrl: string;
  /** Structured log lines it printed so far (stdout, parsed as JSON; unparsable lines kept as `{raw}`). */
  readonly logs: Record<string, unknown>[];
  /** Resolves with the exit code (or signal name) once it exits. */
  readonly exited: Promise<number | string>;
  /** Sends a signal. */
  signal(sig: NodeJS.Signals): void;
  /** Waits until a log line matching `pred` appears. */
  waitForLog(
    pred: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /** Kills it with SIGKILL if still running. */
  kill(): Promise<void>;
}

/**
 * Spawns a service entry point with the given environment and waits until `GET /healthz` answers 200.
 *
 * @example const svc = await spawnService('/repo/services/inventory-app/src/main.ts', { PORT: '4001', ... }, 4001);
 */
export async function spawnService(
  entry: string,
  env: Record<string, string>,
  port: number,
): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: dirname(dirname(entry)),
    env: { PATH: process.env.PATH, NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let buffer = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (!line.trim()) continue;
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ raw: line });
      }
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, sig) => resolve(code ?? sig ?? 'unknown')),
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  let done = false;
  void exited.then(() => {
    done = true;
  });
  try {
    await waitFor(`${entry} to answer /healthz on ${baseUrl}`, async () => {
      if (done)
        throw new Error(
          `process exited early; stderr: ${stderr.slice(-2000)}; logs: ${JSON.stringify(logs)}`,
        );
      const res = await fetch(`${baseUrl}/healthz`);
      return res.status === 200;
    });
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    child,
    baseUrl,
    logs,
    exited,
    signal: (sig) => child.kill(sig),
    async waitForLog(pred, timeoutMs = 15_000) {
      let found: Record<string, unknown> | undefined;
      await waitFor(
        'a matching log line',
        async () => {
          found = logs.find(pred);
          return found !== undefined;
        },
        timeoutMs,
        50,
      );
      return found as Record<string, unknown>;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
