import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join, resolve } from 'node:path';
import { freePort, tempDir } from './support';

const ROOT = resolve(__dirname, '..', '..', '..');

/** Runs `shipgate dev` and collects its exit code and output (for start-up failures). */
function dev(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, ['bin/shipgate-cli.js', 'dev'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
  });
}

/** The line `shipgate dev` wrote about the failure (ignoring runtime warnings). */
const causeLine = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('shipgate dev:'));

describe('shipgate dev: start-up failures say what is wrong and how to fix it', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('names the busy port and the variable to change', async () => {
    const busy: Server = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const awsPort = (busy.address() as { port: number }).port;
    try {
      const r = await dev({
        PORT: String(await freePort()),
        SHIPGATE_AWS_PORT: String(awsPort),
        SHIPGATE_STATE_DIR: join(tmp.dir, 'busy'),
      });
      expect(r.code).toBe(1);
      const lines = causeLine(r.stderr);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`Port ${awsPort} (SHIPGATE_AWS_PORT) on 127.0.0.1 is already in use`);
      expect(lines[0]).toContain(`SHIPGATE_AWS_PORT=${awsPort + 1} npm start`);
      expect(r.stdout).not.toContain('Shipgate sandbox is running');
    } finally {
      busy.close();
    }
  }, 90000);

  it('reports an invalid config with the path of each problem', async () => {
    const file = join(tmp.dir, 'bad.yaml');
    writeFileSync(file, 'version: 1\nprojects: []\nservices: {}\nenvironments: []\n');
    const r = await dev({
      SHIPGATE_CONFIG: file,
      SHIPGATE_STATE_DIR: join(tmp.dir, 'bad'),
      PORT: '0',
      SHIPGATE_AWS_PORT: '0',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`shipgate dev: Invalid ${file}:`);
    expect(r.stderr).toContain('projects: expected at least one project');
  }, 90000);

  it('says where the config was looked for when it is missing', async () => {
    const r = await dev({
      SHIPGATE_CONFIG: join(tmp.dir, 'nope.yaml'),
      SHIPGATE_STATE_DIR: join(tmp.dir, 'missing'),
    });
    expect(r.code).toBe(1);
    expect(causeLine(r.stderr)[0]).toMatch(
      /Cannot read the Shipgate config at .*nope\.yaml.*set SHIPGATE_CONFIG/,
    );
  }, 90000);

  it('rejects a port that is not a number', async () => {
    const r = await dev({ PORT: 'eighty', SHIPGATE_STATE_DIR: join(tmp.dir, 'nan') });
    expect(r.code).toBe(1);
    expect(causeLine(r.stderr)[0]).toBe(
      'shipgate dev: PORT must be a port number between 0 and 65535, received "eighty"',
    );
  }, 90000);
});
