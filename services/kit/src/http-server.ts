import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';

/** A listening HTTP server that can be drained. */
export interface HttpServer {
  /** Port actually bound (useful with port 0). */
  readonly port: number;
  /** Number of requests currently being handled. */
  inFlight(): number;
  /**
   * Stops accepting connections, closes idle keep-alive ones, and resolves once every in-flight request has
   * been answered — or after `timeoutMs`, when the remaining connections are cut.
   */
  close(timeoutMs: number): Promise<{ drained: boolean }>;
}

/**
 * Serves a hono app with @hono/node-server on `hostname:port`, counting in-flight requests so shutdown can
 * wait for them.
 *
 * @example const http = await listen(app, 8080, '0.0.0.0'); await http.close(20_000);
 */
export async function listen(app: Hono, port: number, hostname: string): Promise<HttpServer> {
  let active = 0;
  let closing = false;
  const fetch: typeof app.fetch = async (req, ...rest) => {
    active += 1;
    try {
      const res = await app.fetch(req, ...rest);
      // Once draining, tell keep-alive clients not to reuse this connection.
      if (!closing) return res;
      const headers = new Headers(res.headers);
      headers.set('connection', 'close');
      return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
    } finally {
      active -= 1;
    }
  };
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch, port, hostname }, () => resolve(s as Server)) as Server;
    s.once('error', reject);
  });
  return {
    port: (server.address() as AddressInfo).port,
    inFlight: () => active,
    close(timeoutMs) {
      closing = true;
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          server.closeAllConnections();
          resolve({ drained: false });
        }, timeoutMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve({ drained: true });
        });
        server.closeIdleConnections();
      });
    },
  };
}
