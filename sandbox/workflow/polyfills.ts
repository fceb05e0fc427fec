/**
 * aws-local-stepfunctions 3 uses `Promise.withResolvers` (Node 22+); Shipgate supports Node 20 too, so the
 * sandbox provides the standard behaviour when the runtime lacks it.
 */
const P = Promise as unknown as { withResolvers?: () => unknown };
if (typeof P.withResolvers !== 'function') {
  P.withResolvers = function withResolvers<T>() {
    let resolve!: (value: T | PromiseLike<T>) => void;
    let reject!: (reason?: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

export {};
