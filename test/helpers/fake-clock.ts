import type { Clock } from '../../src/ports/clock.ts';

/** Pure logic may use fakes: a clock the test moves by hand (the database stays real). */
export function fakeClock(start = new Date()): Clock & { advance(ms: number): void; set(date: Date): void } {
  let now = start.getTime();
  return {
    now: () => new Date(now),
    advance: (ms) => { now += ms; },
    set: (date) => { now = date.getTime(); },
  };
}
