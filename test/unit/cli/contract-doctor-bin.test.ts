import { spawnSync } from 'node:child_process';

/** The commands through the real entry point (`npx shipgate` runs bin/shipgate-cli.js): dispatch and exit codes. */
function shipgate(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['bin/shipgate-cli.js', ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('shipgate contract / doctor from the command line', () => {
  it('lists both commands and prints their usage with --help (exit 0)', () => {
    expect(shipgate(['--help']).out).toMatch(/^ {2}contract +contract init \/ check/m);
    expect(shipgate(['--help']).out).toMatch(/^ {2}doctor +check a deployed stack or the sandbox/m);
    const contract = shipgate(['contract', '--help']);
    expect(contract.code).toBe(0);
    expect(contract.out).toContain(
      'Usage: shipgate contract init --environment <env> --cluster <cluster> --service <service>',
    );
    const doctor = shipgate(['help', 'doctor']);
    expect(doctor.code).toBe(0);
    expect(doctor.out).toContain('webhook:<project>');
  }, 60000);

  it('answers a wrong command line with exit 2 and says what was wrong, before any AWS call', () => {
    const unknown = shipgate(['contract', 'adopt']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('shipgate contract: unknown sub-command "adopt" (init, check)');
    const both = shipgate(['doctor', '--stack', 'Shipgate', '--sandbox']);
    expect(both.code).toBe(2);
    expect(both.err).toContain('--stack and --sandbox exclude each other');
    const noSandbox = shipgate(['doctor', '--sandbox', '--url', 'http://127.0.0.1:9'], {
      SHIPGATE_CONFIG: 'shipgate.config.yaml',
    });
    expect(noSandbox.code).toBe(1);
    expect(noSandbox.err).toMatch(/^shipgate doctor: no sandbox answers at http:\/\/127\.0\.0\.1:9 /m);
  }, 60000);
});
