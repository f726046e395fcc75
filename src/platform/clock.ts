/**
 * The one clock and the one set of timers of the store. Everything that reads the time or
 * waits goes through here, so tests can drive it with fake timers (the calls resolve
 * `Date`, `performance` and the timer functions on `globalThis` at call time) or swap
 * the whole provider, as TanStack Query's timeoutManager does.
 */

/** Opaque handle of a timer. */
export type TimerHandle = ReturnType<typeof globalThis.setTimeout>;

export interface Clock {
  /** Wall-clock time in unix ms (persisted timestamps). */
  now(): number;
  /** A clock that never goes backwards, in ms (durations and throttles inside one session). */
  monotonic(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
  setInterval(callback: () => void, delayMs: number): TimerHandle;
  clearInterval(handle: TimerHandle | undefined): void;
}

/**
 * The longest delay timers accept (2^31 - 1 ms, about 24.8 days). A longer one overflows
 * and fires at once, so a huge `Retry-After` would turn into a busy loop.
 */
export const MAX_DELAY_MS = 2_147_483_647;

/** Clamps a delay into what `setTimeout` honours: 0 to {@link MAX_DELAY_MS}. */
export function clampDelay(delayMs: number): number {
  if (Number.isNaN(delayMs) || delayMs <= 0) return 0;
  return Math.min(delayMs, MAX_DELAY_MS);
}

const monotonicNow = () =>
  typeof globalThis.performance?.now === 'function' ? globalThis.performance.now() : Date.now();

/** The system clock; timers get their delay clamped. */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: monotonicNow,
  setTimeout: (callback, delayMs) => globalThis.setTimeout(callback, clampDelay(delayMs)),
  clearTimeout: (handle) => globalThis.clearTimeout(handle),
  setInterval: (callback, delayMs) => globalThis.setInterval(callback, clampDelay(delayMs)),
  clearInterval: (handle) => globalThis.clearInterval(handle),
};

let current: Clock = systemClock;

/** The clock in use. */
export function clock(): Clock {
  return current;
}

/** Replaces the clock (tests, unusual runtimes); returns a function that restores the previous one. */
export function setClock(replacement: Clock): () => void {
  const previous = current;
  current = replacement;
  return () => {
    current = previous;
  };
}

/** Unix seconds, the unit of the API's timestamps. */
export const unixSeconds = (ms: number): number => Math.floor(ms / 1000);

/** `task`'s result, or `fallback` if it has not settled after `delayMs` (the task goes on). */
export function within<T>(task: Promise<T>, delayMs: number, fallback: T): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = clock().setTimeout(() => resolve(fallback), delayMs);
    task.then(
      (value) => {
        clock().clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clock().clearTimeout(timer);
        reject(error);
      },
    );
  });
}
