/**
 * A test-only fault switch of the sandbox (never part of a Lambda bundle, so never active on AWS): makes a
 * local function throw `Sandbox.InjectedFault` on the next `times` invocations whose event contains `match`,
 * before its handler runs. Set through `POST /_sandbox/faults`; used to prove that an event whose handler
 * fails lands in the on-failure destination and that `shipgate redrive` applies it.
 */

/** One armed fault. */
export interface Fault {
  /** Step name of the function (`rollout-events`, `execution-events`, `reconcile`, …). */
  function: string;
  /** Only events whose JSON contains this text (every one of these texts). @default every event */
  match?: string | string[];
  /** How many invocations fail. */
  times: number;
}

/** The faults armed in a running sandbox. */
export class FaultSwitch {
  private readonly faults: Fault[] = [];

  /** Arms a fault (validated: a function name and 1–10 times). */
  arm(fault: Fault): Fault {
    if (typeof fault.function !== 'string' || !fault.function) throw new Error('"function" is required');
    if (!Number.isInteger(fault.times) || fault.times < 1 || fault.times > 10) {
      throw new Error(`"times" must be an integer from 1 to 10; received ${String(fault.times)}`);
    }
    const texts = fault.match === undefined ? [] : Array.isArray(fault.match) ? fault.match : [fault.match];
    if (texts.some((t) => typeof t !== 'string' || !t)) {
      throw new Error('"match" must be a text or a list of texts');
    }
    const armed: Fault = {
      function: fault.function,
      times: fault.times,
      ...(texts.length ? { match: texts } : {}),
    };
    this.faults.push(armed);
    return armed;
  }

  /** Armed faults with invocations left. */
  list(): Fault[] {
    return this.faults.filter((f) => f.times > 0).map((f) => ({ ...f }));
  }

  /** Throws when a fault applies to this invocation (and counts it down). */
  check(step: string, payload: unknown): void {
    const json = JSON.stringify(payload ?? null);
    const texts = (f: Fault) => (f.match === undefined ? [] : Array.isArray(f.match) ? f.match : [f.match]);
    const fault = this.faults.find(
      (f) => f.times > 0 && f.function === step && texts(f).every((t) => json.includes(t)),
    );
    if (!fault) return;
    fault.times--;
    const err = new Error(`Injected by the sandbox fault switch (POST /_sandbox/faults) for ${step}`);
    err.name = 'Sandbox.InjectedFault';
    throw err;
  }
}
