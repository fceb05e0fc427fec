import { ClockError, SimulatedClock } from '../../../sandbox/history/clock';

describe('SimulatedClock', () => {
  const realNow = Date.now();
  const start = realNow - 10 * 86_400_000;
  let clock: SimulatedClock | undefined;
  afterEach(() => clock?.uninstall());

  it('replaces Date for the process, flows warp times faster, jumps forward only and never past its limit', async () => {
    clock = new SimulatedClock(start, 100, realNow);
    clock.install();
    expect(Math.abs(Date.now() - start)).toBeLessThan(2000);
    expect(new Date().getTime()).toBeLessThan(realNow);
    const before = Date.now();
    await new Promise((r) => setTimeout(r, 50)); // timers stay real
    const flowed = clock.now() - before;
    expect(flowed).toBeGreaterThanOrEqual(100 * 40);
    clock.jumpBy(3_600_000);
    const jumped = Date.now();
    expect(jumped - before).toBeGreaterThanOrEqual(3_600_000);
    clock.jumpTo(start); // the past: ignored
    expect(Date.now()).toBeGreaterThanOrEqual(jumped);
    clock.jumpTo(realNow + 86_400_000);
    expect(Date.now()).toBe(realNow);
    expect(() => clock!.install()).toThrow(ClockError);
  });

  it('gives the real Date back', () => {
    clock = new SimulatedClock(start, 1, realNow);
    clock.install();
    clock.uninstall();
    expect(Date.now()).toBeGreaterThanOrEqual(realNow);
  });

  it('refuses a warp below 1 and a start after its limit', () => {
    expect(() => new SimulatedClock(start, 0, realNow)).toThrow(ClockError);
    expect(() => new SimulatedClock(realNow + 1, 1, realNow)).toThrow('after its limit');
  });
});
