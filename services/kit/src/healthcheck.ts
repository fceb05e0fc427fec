/**
 * Docker HEALTHCHECK probe (the slim image has no curl): exits 0 when `GET /healthz` on PORT answers 200
 * within 2 s, 1 otherwise.
 */
export async function probe(port = Number(process.env.PORT ?? 8080)): Promise<number> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
    return res.status === 200 ? 0 : 1;
  } catch {
    return 1;
  }
}
