import { afterEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/index.js';
import { A, B, C, eventually, type LocalStore, localStore, quiet, record } from '../fixtures.js';

let local: LocalStore;
afterEach(() => local.store.close());

describe('list$', () => {
  it('emits the current page, then again after each change that alters it, deletion included', async () => {
    local = await localStore([A, B, C]);
    const { conversations } = local.store;
    const seen = record(conversations.list$({ muted: false }));
    await eventually(() => expect(seen.values).toHaveLength(1));
    expect(seen.values[0]?.data.map((r) => r.id)).toEqual([A.id, B.id, C.id]);
    await conversations.update(B.id, { is_muted: true });
    await eventually(() => expect(seen.values).toHaveLength(2));
    expect(seen.values[1]?.data.map((r) => r.id)).toEqual([A.id, C.id]);
    await conversations.delete(A.id);
    await eventually(() => expect(seen.values).toHaveLength(3));
    expect(seen.values[2]?.data.map((r) => r.id)).toEqual([C.id]);
    const created = await conversations.create({ contact_id: 'k' });
    await eventually(() => expect(seen.values).toHaveLength(4));
    expect(seen.values[3]?.data.map((r) => r.id)).toEqual([C.id, created.id]);
    seen.stop();
  });

  it('stays quiet when a write leaves the page unchanged', async () => {
    local = await localStore([A, B, C]);
    const { conversations } = local.store;
    const seen = record(conversations.list$({ limit: 2 }));
    await eventually(() => expect(seen.values).toHaveLength(1));
    await conversations.update(C.id, { is_muted: true }); // C is not on the page
    await conversations.update(A.id, { is_pinned: false }); // no change at all
    await quiet();
    expect(seen.values).toHaveLength(1);
    seen.stop();
  });

  it('stops emitting once unsubscribed', async () => {
    local = await localStore([A]);
    const seen = record(local.store.conversations.list$());
    await eventually(() => expect(seen.values).toHaveLength(1));
    seen.stop();
    await local.store.conversations.update(A.id, { is_muted: true });
    await quiet();
    expect(seen.values).toHaveLength(1);
  });

  it('re-emits when another tab on the same database writes', async () => {
    local = await localStore([A, B]);
    const other = local.openTab();
    const seen = record(local.store.conversations.list$({ muted: true }));
    await eventually(() => expect(seen.values).toHaveLength(1));
    await other.conversations.update(B.id, { is_muted: true });
    await eventually(() => expect(seen.values.at(-1)?.data.map((r) => r.id)).toEqual([B.id]));
    seen.stop();
    await other.close();
  });

  it('throws ValidationError at the call for bad parameters', () => {
    return localStore().then((created) => {
      local = created;
      expect(() => local.store.conversations.list$({ limit: 0 })).toThrow(ValidationError);
      expect(() => local.store.conversations.retrieve$('')).toThrow(ValidationError);
    });
  });
});

describe('retrieve$', () => {
  it('emits undefined for a missing id, the row, its updates, then undefined after delete', async () => {
    local = await localStore([A]);
    const { conversations } = local.store;
    const missing = record(conversations.retrieve$('nope'));
    const seen = record(conversations.retrieve$(A.id));
    await eventually(() => expect(seen.values).toEqual([A]));
    await eventually(() => expect(missing.values).toEqual([undefined]));
    await conversations.update(A.id, { is_pinned: true });
    await eventually(() => expect(seen.values).toEqual([A, { ...A, is_pinned: true }]));
    await conversations.update(A.id, { is_pinned: true }); // unchanged: no emission
    await conversations.delete(A.id);
    await eventually(() => expect(seen.values).toEqual([A, { ...A, is_pinned: true }, undefined]));
    seen.stop();
    missing.stop();
  });
});
