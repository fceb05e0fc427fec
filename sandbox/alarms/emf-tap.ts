/**
 * The sandbox runs the bundles in its own process, so the EMF lines Powertools Metrics prints go to this
 * process's stdout, where a function's log lines go in Lambda. This tap passes everything through and hands
 * each line that starts as EMF (`{"_aws"`) to the listeners, as CloudWatch Logs would read the log stream.
 * One tap per process, shared by every sandbox in it.
 */
const listeners = new Set<(line: string) => void>();
let original: typeof process.stdout.write | undefined;
let partial = '';

function install(): void {
  original = process.stdout.write;
  const passThrough = original;
  process.stdout.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
    if (typeof chunk === 'string' || chunk instanceof Uint8Array) {
      const text = partial + (typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      if (partial.length > 1_000_000) partial = '';
      for (const line of lines) {
        if (!line.startsWith('{"_aws"')) continue;
        for (const l of listeners) l(line);
      }
    }
    return (passThrough as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof process.stdout.write;
}

/** Calls `listener` with every EMF line printed from now on; returns the function that stops it. */
export function tapEmfLines(listener: (line: string) => void): () => void {
  if (listeners.size === 0) install();
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && original) {
      process.stdout.write = original;
      original = undefined;
      partial = '';
    }
  };
}
