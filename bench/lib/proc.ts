import { spawn, type ChildProcess } from 'node:child_process';

/** A server in a child process of the bench. */
export interface ServerProcess {
  port: number;
  child: ChildProcess;
  output(): string;
  /** SIGTERM, then SIGKILL after 3 s; resolves once it exited. */
  stop(): Promise<void>;
}

/**
 * Spawns `command args` with `env` and resolves once its output matches `ready` (a regex whose first group is
 * the port), or at once with `fixedPort` when `ready` is null (the caller then polls the port).
 */
export async function spawnServer(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp | null,
  fixedPort?: number,
  timeoutMs = 30_000,
): Promise<ServerProcess> {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} did not get ready in ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    if (!ready) {
      clearTimeout(timer);
      resolve(fixedPort ?? 0);
    }
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = ready?.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(fixedPort ?? Number(m[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited with ${code} before it was ready:\n${out}`));
    });
  });
  return {
    port,
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}
