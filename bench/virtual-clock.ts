/**
 * A clock whose time moves only when told: the store's timers (schedule, throttles,
 * backoff) all go through src/clock.ts, so minutes of sync can be simulated in seconds.
 * IndexedDB (fake-indexeddb) and the in-process server still run on the real event loop.
 */
import { type Clock, clampDelay, type TimerHandle } from '../src/platform/clock.js';

interface Timer {
  at: number;
  callback: () => void;
  every: number | null;
}

export class VirtualClock implements Clock {
  #now: number;
  #next = 1;
  readonly #timers = new Map<number, Timer>();

  constructor(start = 1_800_000_000_000) {
    this.#now = start;
  }

  now = (): number => this.#now;
  monotonic = (): number => this.#now;

  setTimeout = (callback: () => void, delayMs: number): TimerHandle =>
    this.#add({ at: this.#now + clampDelay(delayMs), callback, every: null });

  setInterval = (callback: () => void, delayMs: number): TimerHandle => {
    const every = Math.max(1, clampDelay(delayMs));
    return this.#add({ at: this.#now + every, callback, every });
  };

  clearTimeout = (handle: TimerHandle | undefined): void => {
    this.#timers.delete(handle as unknown as number);
  };

  clearInterval = (handle: TimerHandle | undefined): void => {
    this.#timers.delete(handle as unknown as number);
  };

  #add(timer: Timer): TimerHandle {
    const id = this.#next++;
    this.#timers.set(id, timer);
    return id as unknown as TimerHandle;
  }

  /**
   * Fires every timer due up to `until`, in order, letting `settle` finish the work each
   * one starts before time moves on; then sets the time to `until`.
   */
  async runUntil(until: number, settle: () => Promise<void>): Promise<void> {
    for (;;) {
      let dueId: number | null = null;
      let due: Timer | null = null;
      for (const [id, timer] of this.#timers) {
        if (timer.at <= until && (due === null || timer.at < due.at)) {
          dueId = id;
          due = timer;
        }
      }
      if (due === null || dueId === null) break;
      this.#now = Math.max(this.#now, due.at);
      if (due.every === null) this.#timers.delete(dueId);
      else due.at += due.every;
      due.callback();
      await settle();
    }
    this.#now = Math.max(this.#now, until);
  }
}
