/** The store's clock: delays clamped to what setTimeout honours, a monotonic clock, `within()`. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { clampDelay, clock, setClock, systemClock, within } from '../../src/platform/clock.js';
import { FAKE_TIMERS } from '../fixtures.js';

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe('clock', () => {
  it('clamps a negative or NaN delay to 0, and passes 0 to setTimeout for it', () => {
    expect(clampDelay(-5)).toBe(0);
    expect(clampDelay(Number.NaN)).toBe(0);
    const spy = vi.spyOn(globalThis, 'setTimeout');
    systemClock.clearTimeout(systemClock.setTimeout(() => {}, -250));
    systemClock.clearTimeout(systemClock.setTimeout(() => {}, Number.NaN));
    expect(spy.mock.calls.map((call) => call[1])).toEqual([0, 0]);
  });

  it('falls back to Date.now() for the monotonic clock where performance is missing', () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 1_700_000_000_000 });
    vi.stubGlobal('performance', undefined);
    expect(systemClock.monotonic()).toBe(1_700_000_000_000);
  });

  it('setClock() returns a function that puts the previous clock back', () => {
    const replacement = { ...systemClock, now: () => 42 };
    const restore = setClock(replacement);
    expect(clock().now()).toBe(42);
    restore();
    expect(clock()).toBe(systemClock);
  });

  it('within() rejects with the task’s error at once, and leaves no timer behind', async () => {
    vi.useFakeTimers(FAKE_TIMERS);
    const error = new Error('disk gone');
    const outcome = within(Promise.reject(error), 60_000, 'fallback').then(
      (value) => value,
      (caught: unknown) => caught,
    );
    expect(await outcome).toBe(error);
    expect(vi.getTimerCount()).toBe(0);
  });
});
