import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Shutdown } from './shutdown';
import { SandboxStartError } from './start-error';

/** Listens on `host:port`; resolves with the bound port, or rejects with a one-line fix naming `variable`. */
export function listen(server: Server, port: number, host: string, variable: string): Promise<number> {
  return new Promise((resolveListen, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(
          new SandboxStartError(
            `Port ${port} (${variable}) on ${host} is already in use — stop the other process (is a sandbox already running?) or choose another port, e.g. ${variable}=${port + 1} npm start.`,
          ),
        );
      } else if (err.code === 'EACCES') {
        reject(
          new SandboxStartError(
            `Not allowed to listen on ${host}:${port} (${variable}); choose a port above 1024.`,
          ),
        );
      } else {
        reject(new SandboxStartError(`Cannot listen on ${host}:${port} (${variable}): ${err.message}`));
      }
    });
    server.listen(port, host, () => resolveListen((server.address() as AddressInfo).port));
  });
}

/** Closes a server and every connection it still holds. */
export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((r) => {
    server.closeAllConnections();
    server.close(() => r());
  });
}

/**
 * The answer of the app port while the sandbox is still starting: 503 with `Retry-After: 1`, as a page that
 * reloads itself for a browser (someone refreshing the console) and as JSON for everything else.
 */
export function startingResponse(req: Request): Response {
  const message = 'The Shipgate sandbox is starting; try again in a moment.';
  const headers = { 'retry-after': '1', 'cache-control': 'no-store' };
  if (req.headers.get('accept')?.includes('text/html')) {
    return new Response(
      `<!doctype html><meta http-equiv="refresh" content="1"><title>Shipgate</title><p>${message}</p>`,
      { status: 503, headers: { ...headers, 'content-type': 'text/html; charset=utf-8' } },
    );
  }
  return Response.json({ error: message, starting: true }, { status: 503, headers });
}

/** The address to reach a server at that listens on `host` (loopback for "every interface"). */
export function reachableHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}

/** The app port: bound early (its URL goes into the handlers' environment), answering 503 until `serve`. */
export interface AppServer {
  url: string;
  /** From now on requests reach `fetch`. */
  serve(fetch: (req: Request) => Response | Promise<Response>): void;
}

/**
 * Binds the app port now; until `serve` every request gets 503 "starting". Letting a hono app answer before
 * its routes are added would build hono's matcher, after which `app.route()` throws and the sandbox dies
 * (issue 22).
 */
export async function startAppServer(host: string, port: number, shutdown: Shutdown): Promise<AppServer> {
  let handle: (req: Request) => Response | Promise<Response> = startingResponse;
  const appServer = createAdaptorServer({ fetch: (req: Request) => handle(req) }) as Server;
  const bound = await listen(appServer, port, host, 'PORT');
  shutdown.add(() => closeServer(appServer));
  return {
    url: `http://${reachableHost(host)}:${bound}`,
    serve: (fetch) => {
      handle = fetch;
    },
  };
}
