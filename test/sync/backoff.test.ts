/** retryDelay (sync/backoff.ts): exponential backoff with full jitter, never below Retry-After. */
import { describe, expect, it } from 'vitest';
import { retryDelay } from '../../src/sync/backoff.js';

const policy = { baseMs: 1000, maxMs: 8000 };

describe('retryDelay', () => {
  it('grows the ceiling exponentially with each failure', () => {
    const ceilings = [1, 2, 3, 4].map((attempts) => retryDelay(policy, attempts, 0.999999));
    expect(ceilings).toEqual([999, 1999, 3999, 7999]);
  });

  it('caps the ceiling at maxMs', () => {
    expect(retryDelay(policy, 40, 0.999999)).toBeLessThan(8000);
    expect(retryDelay(policy, 40, 0.5)).toBe(4000);
  });

  it('uses full jitter: anywhere from 0 to the ceiling', () => {
    expect(retryDelay(policy, 3, 0)).toBe(0);
    expect(retryDelay(policy, 3, 0.25)).toBe(1000);
  });

  it('never waits less than Retry-After asks', () => {
    expect(retryDelay(policy, 1, 0, 30)).toBe(30_000);
    expect(retryDelay(policy, 4, 0.9, 1)).toBe(7200);
  });
});
