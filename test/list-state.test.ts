/** listState$: the page of list$, when the server last confirmed it, and whether it is complete. */
import { firstValueFrom, filter as rxFilter } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConversationStore, ListState } from '../src/index.js';
import { A, B, C, conversation, eventually, type Harness, harness, record } from './fixtures.js';

let h: Harness;
let store: ConversationStore;

afterEach(async () => {
  await store?.close().catch(() => {});
});

const until = (params: object, check: (state: ListState) => boolean) =>
  firstValueFrom(store.conversations.listState$(params).pipe(rxFilter(check)));

describe('listState$', () => {
  it('starts unconfirmed and incomplete, then follows recent and complete pulls', async () => {
    h = harness([A, B, C]);
    store = h.open();
    const params = { muted: false, limit: 2 };
    const first = await until(params, () => true);
    expect(first).toEqual({
      page: { has_more: false, data: [] },
      confirmedAt: null,
      complete: false,
    });

    const states = record(store.conversations.listState$(params));
    await store.sync.now(); // A complete walk: complete, but this list was not read by itself.
    const walked = await until(params, (s) => s.complete);
    expect(walked.page).toEqual(await store.conversations.list(params));
    expect(walked.confirmedAt).toBeNull();

    const before = Date.now();
    await store.sync.now({ pull: 'recent' }); // The list is watched: read with its own params.
    const confirmed = await until(params, (s) => s.confirmedAt !== null);
    expect(confirmed.confirmedAt).toBeGreaterThanOrEqual(before);
    states.stop();
  });

  it('is incomplete while a row of the page has a change the server has not seen', async () => {
    h = harness([A, B, C]);
    store = h.open();
    await store.sync.now();
    const params = { limit: 3 };
    await until(params, (s) => s.complete);
    h.network.offline = true;
    await store.conversations.update(B.id, { is_pinned: true });
    const pending = await until(params, (s) => !s.complete);
    expect(pending.page.data.find((row) => row.id === B.id)?.is_pinned).toBe(true);
    h.network.offline = false;
    await store.sync.now({ pull: 'none' });
    await until(params, (s) => s.complete);
  });

  it('is incomplete while records evicted to save space would be on its page', async () => {
    const rows = Array.from({ length: 20 }, (_, index) =>
      conversation({ id: `LST${String(index).padStart(13, '0')}`, last_active_at: 900 - index }),
    );
    h = harness(rows);
    store = h.open({ storage: { maxRecords: 12 } });
    await store.sync.now(); // The 8 least recently active are evicted after the walk.
    const all = await until({ limit: 100 }, () => true);
    expect(all.page.data.map((row) => row.id)).toEqual(rows.slice(0, 12).map((row) => row.id));
    expect(all.complete).toBe(false);
    const top = await until({ limit: 10 }, () => true); // Ends before the first evicted row.
    expect(top.complete).toBe(true);
    // Room again: the next complete walk stores every row, and the list is whole.
    await store.close();
    store = h.open();
    await store.sync.now();
    const whole = await until({ limit: 100 }, (s) => s.complete);
    expect(whole.page.data).toHaveLength(20);
  });

  it('counts as a watched list, like list$', async () => {
    h = harness([A, B, C]);
    store = h.open();
    await store.sync.now();
    const params = { archived: true, limit: 4 };
    const states = record(store.conversations.listState$(params));
    await until(params, () => true);
    await store.sync.now({ pull: 'recent' });
    await until(params, (s) => s.confirmedAt !== null);
    states.stop();
  });
});

describe('listState$ followed by one subscription', () => {
  it('turns complete when the first complete walk ends', async () => {
    h = harness([A, B, C]);
    store = h.open();
    const params = { muted: false, limit: 2 };
    const states = record(store.conversations.listState$(params));
    await eventually(() => expect(states.values).not.toHaveLength(0));
    expect(states.values.at(-1)?.complete).toBe(false);
    await store.sync.now();
    await eventually(() => expect(states.values.at(-1)?.complete).toBe(true));
    expect(states.values.at(-1)?.confirmedAt).toBeNull();
    states.stop();
  });
});
