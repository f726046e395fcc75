/** listState$: the page of list$, when the server last confirmed it, and whether it is complete. */
import { firstValueFrom, filter as rxFilter } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { ListState } from '../../src/index.js';
import {
  A,
  B,
  C,
  conversation,
  eventually,
  harness,
  record,
  syncedSuite,
  tickUntil,
} from '../fixtures.js';

const { t, synced } = syncedSuite();

const until = (params: object, check: (state: ListState) => boolean) =>
  firstValueFrom(t.store.conversations.listState$(params).pipe(rxFilter(check)));

describe('listState$', () => {
  it('starts unconfirmed and incomplete, then follows recent and complete pulls', async () => {
    t.h = harness([A, B, C]);
    t.store = t.h.open();
    const params = { muted: false, limit: 2 };
    const first = await until(params, () => true);
    expect(first).toEqual({
      page: { has_more: false, data: [] },
      confirmedAt: null,
      complete: false,
    });

    const states = record(t.store.conversations.listState$(params));
    const walkedFrom = Date.now();
    await t.store.sync.now(); // A complete walk reads the watched list first: confirmed, complete.
    const walked = await until(params, (s) => s.complete && s.confirmedAt !== null);
    expect(walked.page).toEqual(await t.store.conversations.list(params));
    expect(walked.confirmedAt).toBeGreaterThanOrEqual(walkedFrom);

    const before = Date.now();
    await t.store.sync.now({ pull: 'recent' }); // The list is watched: read with its own params.
    const confirmed = await until(params, (s) => s.confirmedAt !== null);
    expect(confirmed.confirmedAt).toBeGreaterThanOrEqual(before);
    states.stop();
  });

  it('is incomplete while a row of the page has a change the server has not seen', async () => {
    await synced();
    const params = { limit: 3 };
    await until(params, (s) => s.complete);
    t.h.network.offline = true;
    await t.store.conversations.update(B.id, { is_pinned: true });
    const pending = await until(params, (s) => !s.complete);
    expect(pending.page.data.find((row) => row.id === B.id)?.is_pinned).toBe(true);
    t.h.network.offline = false;
    await t.store.sync.now({ pull: 'none' });
    await until(params, (s) => s.complete);
  });

  it('is incomplete while records evicted to save space would be on its page', async () => {
    const rows = Array.from({ length: 20 }, (_, index) =>
      conversation({ id: `LST${String(index).padStart(13, '0')}`, last_active_at: 900 - index }),
    );
    await synced(rows, { storage: { maxRecords: 12 } }); // The 8 least active are evicted.
    const all = await until({ limit: 100 }, () => true);
    expect(all.page.data.map((row) => row.id)).toEqual(rows.slice(0, 12).map((row) => row.id));
    expect(all.complete).toBe(false);
    const top = await until({ limit: 10 }, () => true); // Ends before the first evicted row.
    expect(top.complete).toBe(true);
    // Room again: the next complete walk stores every row, and the list is whole.
    await t.store.close();
    t.store = t.h.open();
    await t.store.sync.now();
    const whole = await until({ limit: 100 }, (s) => s.complete);
    expect(whole.page.data).toHaveLength(20);
  });

  it('counts as a watched list, like list$', async () => {
    await synced();
    const params = { archived: true, limit: 4 };
    const states = record(t.store.conversations.listState$(params));
    await until(params, () => true);
    await t.store.sync.now({ pull: 'recent' });
    await until(params, (s) => s.confirmedAt !== null);
    states.stop();
  });
});

describe('listState$ followed by one subscription', () => {
  it('turns complete and confirmed when the first complete walk ends', async () => {
    t.h = harness([A, B, C]);
    t.store = t.h.open();
    const params = { muted: false, limit: 2 };
    const states = record(t.store.conversations.listState$(params));
    await eventually(() => expect(states.values).not.toHaveLength(0));
    expect(states.values.at(-1)?.complete).toBe(false);
    await t.store.sync.now();
    await eventually(() => expect(states.values.at(-1)?.complete).toBe(true));
    expect(states.values.at(-1)?.confirmedAt).not.toBeNull(); // Read before the walk.
    states.stop();
  });
});

describe('listState$ when only the evicted records decide whether the page is whole', () => {
  /** Twenty server rows in list order; a store keeping 12 evicts rows 12-19 after its walk. */
  const ROWS = Array.from({ length: 20 }, (_, index) =>
    conversation({ id: `EVW${String(index).padStart(13, '0')}`, last_active_at: 900 - index }),
  );
  const idOf = (index: number) => ROWS[index]?.id as string;

  async function walkedWithEvictions() {
    await synced(ROWS, { storage: { maxRecords: 12 } });
    expect((await t.store.conversations.list({ limit: 100 })).data).toHaveLength(12);
  }

  it('turns incomplete when a deleted row lets the place of an evicted record onto the page', async () => {
    await walkedWithEvictions();
    const params = { limit: 11 };
    const states = record(t.store.conversations.listState$(params));
    // Rows 0-10 with more stored after them: the evicted rows 12-19 come after the page.
    await eventually(() => expect(states.values.at(-1)?.complete).toBe(true));

    await t.store.conversations.delete(idOf(5));
    // Rows 0-4 and 6-11, the end of what is stored: row 12, evicted, belongs on this page.
    // The deleted row is pending but no longer on the page; the walk time is unchanged.
    await eventually(() => {
      const last = states.values.at(-1);
      expect(last?.page.data.map((row) => row.id)).not.toContain(idOf(5));
      expect(last?.page.has_more).toBe(false);
      expect(last?.complete).toBe(false);
    });
    await t.store.sync.now({ pull: 'none' }); // The delete reaches the server: nothing pending.
    await eventually(() => expect(t.h.server.get(idOf(5))).toBeUndefined());
    const settled = await until(params, () => true);
    expect(settled.page.data.at(-1)?.id).toBe(idOf(11));
    expect(settled.complete).toBe(false);
    expect(states.values.at(-1)?.complete).toBe(false);
    states.stop();
  });

  it('turns complete when a refresh stores again the evicted record its page was missing', async () => {
    await walkedWithEvictions();
    const params = { limit: 12 };
    const states = record(t.store.conversations.listState$(params));
    // Rows 0-11, the end of what is stored, while row 12 would be on the page.
    await eventually(() => expect(states.values.at(-1)?.page.data).toHaveLength(12));
    expect(states.values.at(-1)?.complete).toBe(false);

    await t.store.sync.refresh([idOf(12)]); // No walk, nothing pending: only row 12 is back.
    await eventually(() => {
      const last = states.values.at(-1);
      expect(last?.page.has_more).toBe(true);
      expect(last?.complete).toBe(true);
    });
    expect(states.values.at(-1)?.page.data.map((row) => row.id)).toEqual(
      ROWS.slice(0, 12).map((row) => row.id),
    );
    states.stop();
  });

  it('sends no new state for a second edit of a row past the page, which changes nothing it shows', async () => {
    await walkedWithEvictions();
    const params = { limit: 3 };
    const states = record(t.store.conversations.listState$(params));
    await eventually(() => expect(states.values.at(-1)?.complete).toBe(true));
    // Row 3, the first past the page, is edited: pending$ changes, so a state is sent.
    await t.store.conversations.update(idOf(3), { is_muted: true });
    await tickUntil(() => false, 200); // Let the reads the edit started settle.
    const before = states.values.length;
    // Edited again: still pending, the page and its freshness and completeness unchanged.
    await t.store.conversations.update(idOf(3), { is_pinned: true });
    expect((await t.store.conversations.retrieve(idOf(3)))?.is_pinned).toBe(true);
    await tickUntil(() => states.values.length > before);
    expect(states.values).toHaveLength(before);
    expect(states.values.at(-1)).toMatchObject({ confirmedAt: null, complete: true });
    states.stop();
  });
});
