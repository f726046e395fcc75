/**
 * The complete walk reads what the user looks at first (DESIGN 4): the first round of a
 * database that never finished a walk, and every full round, reads the first page of each
 * watched list, in every tab, before it walks; a watched list deep in the order is exact
 * within one request, whatever the account's size.
 */
import { describe, expect, it } from 'vitest';
import type { Conversation } from '../../src/index.js';
import { conversation, harness, requests, syncedSuite, TOKEN, until } from '../fixtures.js';

const { t, open } = syncedSuite();

/** `count` rows, most recently active first; the last five belong to the group `deep`. */
function account(count: number): Conversation[] {
  return Array.from({ length: count }, (_, index) =>
    conversation({
      id: `ROW${String(index).padStart(13, '0')}`,
      contact_id: index >= count - 5 ? null : `contact-${index}`,
      group_id: index >= count - 5 ? 'deep' : null,
      last_active_at: 1_000_000 - index * 10,
    }),
  );
}

const listReads = () =>
  requests(t.h.server, 'GET')
    .filter((request) => request.path === '/v1/conversations')
    .map((request) => request.query);

describe('the complete walk reads the watched lists first', () => {
  it('reads a watched list deep in the order before the first page of a fresh database’s walk', async () => {
    const rows = account(300);
    t.h = harness(rows);
    t.store = t.h.open({ sync: { auto: false } });
    const deep = t.store.conversations.list$({ group_id: 'deep' }).subscribe();
    await t.store.sync.now();
    deep.unsubscribe();
    expect(listReads()[0]).toEqual({ group_id: 'deep', limit: '11' }); // One more: has_more exact.
    expect(listReads()[1]).toEqual({ limit: '100' }); // Then the walk.
  });

  it('makes a watched list exact, has_more included, before the walk has read a page', async () => {
    const rows = account(300);
    t.h = harness(rows);
    t.store = t.h.open({ sync: { auto: false } });
    const params = { group_id: 'deep', limit: 3 } as const; // Five rows match: has_more.
    const deep = t.store.conversations.list$(params).subscribe();
    let lists = 0;
    t.h.server.faults.onList(() => {
      lists += 1;
      if (lists === 2) t.h.network.offline = true; // The walk's first page never arrives.
    });
    const summary = await t.store.sync.now();
    deep.unsubscribe();
    expect(summary.complete).toBe(false);
    t.h.network.offline = false;
    const server = await (
      await t.h.server.fetch(`https://api.test/v1/conversations?group_id=deep&limit=3`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      })
    ).json();
    expect(server.has_more).toBe(true);
    expect(await t.store.conversations.list(params)).toEqual(server);
  });

  it('reads every tab’s watched lists before walking, on every full round', async () => {
    const rows = account(120);
    t.h = harness(rows);
    t.store = t.h.open({ sync: { auto: false } });
    await t.store.sync.now();
    const otherTab = open({ sync: { auto: false } });
    const watched = otherTab.conversations.list$({ group_id: 'deep', limit: 3 }).subscribe();
    await until(
      otherTab.conversations.list$({ group_id: 'deep', limit: 3 }),
      (page) => page.data.length === 3,
    );
    // The other tab's list reaches the registry this store reads (written within 250 ms).
    await expect
      .poll(async () => {
        t.h.server.clearRequests();
        await t.store.sync.now({ pull: 'full' });
        return listReads()[0];
      })
      .toEqual({ group_id: 'deep', limit: '4' });
    watched.unsubscribe();
  });
});
