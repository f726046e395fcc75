/** The frameworks guide's Svelte snippet, used through Svelte's own store functions. */
import { Subject } from 'rxjs';
import { derived, fromStore, get } from 'svelte/store';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ConversationStore } from '../../src/index.js';
import { A, B, C, syncedHarness } from '../fixtures.js';
import { fromObservable, inboxStores } from './svelte.js';

let store: ConversationStore | undefined;
afterEach(() => store?.close());

describe('Svelte: an observable as a store', () => {
  it('keeps the store contract: the current value at once, then each value, and an unsubscribe', () => {
    const source = new Subject<number>();
    const seen: (number | undefined)[] = [];
    const unsubscribe = fromObservable(source).subscribe((value) => seen.push(value));
    expect(seen).toEqual([undefined]);
    source.next(1);
    source.next(2);
    expect(seen).toEqual([undefined, 1, 2]);

    unsubscribe();
    expect(source.observed).toBe(false);
  });

  it('gives the inbox page and status to derived stores, and follows a local write', async () => {
    ({ store } = await syncedHarness());
    const { page, status, unsent } = inboxStores(store);
    const rows = derived(page, (current) => current?.data.map((row) => row.id));
    const seen: (string[] | undefined)[] = [];
    const stop = rows.subscribe((ids) => seen.push(ids));
    await vi.waitFor(() => expect(seen.at(-1)).toEqual([A.id, B.id, C.id]));
    expect(seen[0]).toBeUndefined();

    await store.conversations.update(B.id, { archived_at: 1_700_000_000 });
    await vi.waitFor(() => expect(seen.at(-1)).toEqual([A.id, C.id]));
    stop();

    // status$ and pending$ answer during subscribe: `get` and `fromStore` read them at once.
    await vi.waitFor(() => expect(get(status)?.state).toBe('idle'));
    await vi.waitFor(() => expect(fromStore(unsent).current).toEqual(new Set([B.id])));
  });
});
