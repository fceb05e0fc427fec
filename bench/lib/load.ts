import { spawnSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';

/**
 * Bounded HTTP load against one URL: `wrk` (Debian package, Lua script for POST bodies and headers) when it is
 * installed, else an in-process keep-alive client. Every request may carry a unique sequence number (the
 * `__SEQ__` placeholder in the body and headers), so each delivery is a distinct GitLab event.
 */

/** What to send. */
export interface LoadTarget {
  url: string;
  headers: Record<string, string>;
  /** Body; every `__SEQ__` is replaced by a number unique to the request. */
  body: string;
  /** Status every answer should have (others are counted as unexpected). */
  expectStatus: number;
  /** Added to every sequence number, so separate runs never reuse one (default 0). */
  seqBase?: number;
}

/** Limits of one run. */
export interface LoadLimits {
  durationSec: number;
  connections: number;
  /** Hard cap on requests for the in-process client (wrk is bounded by its duration). */
  maxRequests: number;
}

/** Result of one run. */
export interface LoadResult {
  tool: 'wrk' | 'in-process';
  requests: number;
  durationSec: number;
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  expectedStatus: number;
  /** Answers with the expected status. */
  expected: number;
  /** Answers with another status, and socket errors / timeouts. */
  unexpected: number;
  errors: number;
}

/** Whether `wrk` is on the PATH. */
export function wrkAvailable(): boolean {
  return spawnSync('wrk', ['--version'], { encoding: 'utf8' }).error === undefined;
}

const lua = (s: string) => {
  let eq = '=';
  while (s.includes(`]${eq}]`)) eq += '=';
  return `[${eq}[${s}]${eq}]`;
};

function wrkScript(target: LoadTarget): string {
  const [prefix, ...rest] = target.body.split('__SEQ__');
  const headerLines = Object.entries(target.headers)
    .map(([k, v]) => {
      const parts = v.split('__SEQ__');
      return parts.length === 1
        ? `  h[ ${lua(k)} ] = ${lua(v)}`
        : `  h[ ${lua(k)} ] = ${parts.map(lua).join(' .. seq .. ')}`;
    })
    .join('\n');
  return `
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end
counter = 0
ok = 0
bad = 0
local body_parts = { ${[prefix, ...rest].map(lua).join(', ')} }
local function make_body(seq)
  return table.concat(body_parts, tostring(seq))
end
function request()
  counter = counter + 1
  local seq = ${target.seqBase ?? 0} + tid * 10000000 + counter
  local h = {}
${headerLines}
  return wrk.format("POST", nil, h, make_body(seq))
end
function response(status, headers, body)
  if status == ${target.expectStatus} then ok = ok + 1 else bad = bad + 1 end
end
function done(summary, latency, requests)
  local tok, tbad = 0, 0
  for _, t in ipairs(threads) do
    tok = tok + t:get("ok")
    tbad = tbad + t:get("bad")
  end
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests":%d,"durationUs":%d,"p50Us":%d,"p99Us":%d,"ok":%d,"bad":%d,"errors":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), tok, tbad,
    e.connect + e.read + e.write + e.timeout))
end
`;
}

/** Runs wrk against the target; resolves with its figures (parsed from the script's `done`). */
export async function runWrk(target: LoadTarget, limits: LoadLimits, workDir: string): Promise<LoadResult> {
  const script = join(workDir, `wrk-${Date.now()}-${Math.random().toString(36).slice(2)}.lua`);
  writeFileSync(script, wrkScript(target));
  const args = [
    '-t',
    String(Math.min(2, limits.connections)),
    '-c',
    String(limits.connections),
    '-d',
    `${limits.durationSec}s`,
    '--timeout',
    '10s',
    '-s',
    script,
    target.url,
  ];
  const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  const line = /WRKJSON (\{.*\})/.exec(out);
  if (code !== 0 || !line) throw new Error(`wrk exited with ${code}:\n${out}`);
  const r = JSON.parse(line[1]) as Record<string, number>;
  const durationSec = r.durationUs / 1e6;
  return {
    tool: 'wrk',
    requests: r.requests,
    durationSec,
    requestsPerSec: r.requests / durationSec,
    p50Ms: r.p50Us / 1000,
    p99Ms: r.p99Us / 1000,
    expectedStatus: target.expectStatus,
    expected: r.ok,
    unexpected: r.bad + r.errors,
    errors: r.errors,
  };
}

/** Percentile (nearest rank) of sorted values. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** Median of values. */
export function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

/** The fallback: `connections` keep-alive loops in this process, bounded by duration and request count. */
export async function runInProcess(target: LoadTarget, limits: LoadLimits): Promise<LoadResult> {
  const url = new URL(target.url);
  const agent = new Agent({ keepAlive: true, maxSockets: limits.connections });
  const latencies: number[] = [];
  let seq = 0;
  let ok = 0;
  let bad = 0;
  let errors = 0;
  const start = performance.now();
  const end = start + limits.durationSec * 1000;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const n = (target.seqBase ?? 0) + ++seq;
      const body = target.body.split('__SEQ__').join(String(n));
      const headers = Object.fromEntries(
        Object.entries(target.headers).map(([k, v]) => [k, v.split('__SEQ__').join(String(n))]),
      );
      const t0 = performance.now();
      const req = request(
        { agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers },
        (res) => {
          res.resume();
          res.on('end', () => {
            latencies.push(performance.now() - t0);
            if (res.statusCode === target.expectStatus) ok++;
            else bad++;
            resolve();
          });
        },
      );
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(body);
    });
  await Promise.all(
    Array.from({ length: limits.connections }, async () => {
      while (performance.now() < end && seq < limits.maxRequests) await one();
    }),
  );
  const durationSec = (performance.now() - start) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    tool: 'in-process',
    requests: latencies.length,
    durationSec,
    requestsPerSec: latencies.length / durationSec,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    expectedStatus: target.expectStatus,
    expected: ok,
    unexpected: bad + errors,
    errors,
  };
}
