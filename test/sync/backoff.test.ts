import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../../src/api/reply.js';
import { isDue } from '../../src/storage/due.js';
import type { OutboxEntry } from '../../src/storage/schema.js';
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

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('12', now)).toBe(12);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
  });

  it('ignores a missing, blank or unreadable header (ApiError.retryAfter stays undefined)', () => {
    expect(parseRetryAfter(null, 0)).toBeUndefined();
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
    expect(parseRetryAfter('', 0)).toBeUndefined();
    expect(parseRetryAfter('  ', 0)).toBeUndefined();
  });
});

describe("isDue: whether a record's first entry may be sent", () => {
  const now = 1_700_000_000_000;
  const head = (fields: { offline?: boolean }): OutboxEntry => ({
    recordId: 'AAAAAAAAAAAAAAAA',
    op: 'update',
    patch: { is_muted: true },
    key: 'key',
    sentAt: now - 10,
    attempts: 1,
    notBefore: now + 1000,
    failedAt: now,
    enqueuedAt: now - 10,
    lastError: 'NetworkError',
    ...fields,
  });

  it('waits for the backoff deadline of an entry that failed this very millisecond', () => {
    expect(isDue(head({}), now, false, now)).toBe(false);
    expect(isDue(head({}), now + 1000, false, now)).toBe(true);
  });

  it('does not wait once the clock was set back before the failure', () => {
    expect(isDue(head({}), now - 1, false, now - 1)).toBe(true);
  });

  it('sends an entry that waited only for the network as soon as it comes back', () => {
    expect(isDue(head({ offline: true }), now, true, now)).toBe(true);
    expect(isDue(head({ offline: true }), now, false, now)).toBe(false);
  });

  it('keeps an entry refused by a failing server waiting when the network comes back', () => {
    expect(isDue(head({ offline: false }), now, true, now)).toBe(false);
  });
});
