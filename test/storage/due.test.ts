/** isDue (storage/due.ts): whether a record's first outbox entry may be sent now. */
import { describe, expect, it } from 'vitest';
import { isDue } from '../../src/storage/due.js';
import type { OutboxEntry } from '../../src/storage/schema.js';

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
