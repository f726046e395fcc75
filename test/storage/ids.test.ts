import { afterEach, describe, expect, it } from 'vitest';
import { idempotencyKey, temporaryId } from '../../src/storage/ids.js';
import { A, requests, syncedSuite } from '../fixtures.js';

const { t, synced } = syncedSuite();

afterEach(() => {
  // Removes the own property that hid the prototype’s randomUUID.
  delete (crypto as { randomUUID?: unknown }).randomUUID;
});

/** A plain-http page (not a secure context) has no `crypto.randomUUID`. */
function withoutRandomUUID() {
  Object.defineProperty(crypto, 'randomUUID', { value: undefined, configurable: true });
  expect(crypto.randomUUID).toBeUndefined();
}

describe('ids outside a secure context', () => {
  it('makes temporary ids and Idempotency-Keys without crypto.randomUUID', () => {
    withoutRandomUUID();
    expect(temporaryId()).toMatch(/^tmp_[A-Za-z0-9]{16}$/);
    const keys = new Set(Array.from({ length: 100 }, idempotencyKey));
    expect(keys.size).toBe(100);
  });

  it('still writes and syncs: create, update and delete work', async () => {
    const store = await synced();
    withoutRandomUUID();
    const created = await store.conversations.create({ contact_id: 'k1' });
    await store.conversations.update(A.id, { is_muted: true });
    await store.conversations.delete(created.id);
    await store.conversations.update(A.id, { is_pinned: true });
    const summary = await store.sync.now();
    expect(summary.error).toBeNull();
    expect(t.h.server.get(A.id)).toMatchObject({ is_muted: true, is_pinned: true });
    const keys = requests(t.h.server, 'PUT').map((r) => r.idempotencyKey);
    expect(keys.every((key) => typeof key === 'string' && key.length >= 16)).toBe(true);
  });
});
