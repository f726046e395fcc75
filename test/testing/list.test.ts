/** GET /v1/conversations: order, filters, limit and both cursors (DESIGN section 3). */
import { describe, expect, it } from 'vitest';
import type { Conversation } from '../../src/model/conversation.js';
import { createReferenceServer, generateConversations } from '../../src/testing/index.js';
import { conversation } from '../fixtures.js';
import { list } from './support.js';

/** The order rule, written as sort keys here so it does not reuse the server's comparator. */
function expectedOrder(rows: readonly Conversation[]): Conversation[] {
  const key = (r: Conversation) => [
    r.last_active_at === null ? 1 : 0,
    -(r.last_active_at ?? 0),
    -r.created_at,
  ];
  return [...rows].sort((a, b) => {
    const [ka, kb] = [key(a), key(b)];
    for (let i = 0; i < ka.length; i++) {
      const diff = (ka[i] ?? 0) - (kb[i] ?? 0);
      if (diff !== 0) return diff;
    }
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
}

describe('list order', () => {
  it('is last_active_at descending with nulls last, then created_at descending, then id ascending', async () => {
    const server = createReferenceServer({
      seed: [
        conversation({ id: 'nullOld', last_active_at: null, created_at: 10 }),
        conversation({ id: 'nullNewB', last_active_at: null, created_at: 20 }),
        conversation({ id: 'nullNewA', last_active_at: null, created_at: 20 }),
        conversation({ id: 'active5', last_active_at: 5, created_at: 1 }),
        conversation({ id: 'active9', last_active_at: 9, created_at: 1 }),
        conversation({ id: 'tie9-created3', last_active_at: 9, created_at: 3 }),
        conversation({ id: 'Tie9-created3', last_active_at: 9, created_at: 3 }),
      ],
    });
    const { body } = await list(server, 'limit=100');
    // Plain string comparison: upper case sorts before lower case.
    expect(body.data.map((r) => r.id)).toEqual([
      'Tie9-created3',
      'tie9-created3',
      'active9',
      'active5',
      'nullNewA',
      'nullNewB',
      'nullOld',
    ]);
  });

  it('matches the rule over generated data with many ties', async () => {
    const rows = generateConversations(150, { seed: 3 });
    const server = createReferenceServer({ seed: rows });
    const { body } = await list(server, 'limit=100');
    expect(body).toEqual({ has_more: true, data: expectedOrder(rows).slice(0, 100) });
    expect(server.all()).toEqual(expectedOrder(rows));
  });
});

describe('list filters', () => {
  const rows = generateConversations(90, { seed: 9, groups: 2 });
  const server = createReferenceServer({ seed: rows });
  const ordered = expectedOrder(rows);

  it.each<[string, (r: Conversation) => boolean]>([
    ['muted=true', (r) => r.is_muted],
    ['muted=false', (r) => !r.is_muted],
    ['pinned=true', (r) => r.is_pinned],
    ['pinned=false', (r) => !r.is_pinned],
    ['archived=true', (r) => r.archived_at !== null],
    ['archived=false', (r) => r.archived_at === null],
    ['group_id=group-1', (r) => r.group_id === 'group-1'],
    ['group_id=no-such-group', () => false],
    [
      'muted=false&archived=false&pinned=true',
      (r) => !r.is_muted && r.archived_at === null && r.is_pinned,
    ],
  ])('%s keeps only the matching conversations, in order', async (query, keep) => {
    const expected = ordered.filter(keep);
    expect(expected.length).toBeLessThan(100);
    const { status, body } = await list(server, `${query}&limit=100`);
    expect(status).toBe(200);
    expect(body).toEqual({ has_more: false, data: expected });
  });

  it.each(['muted=yes', 'archived=1', 'pinned=', 'group_id=', 'sort=asc', 'limit=5&limit=6'])(
    'answers 400 invalid_request to %s',
    async (query) => {
      const { status, body } = await list(server, query);
      expect(status).toBe(400);
      expect(body).toMatchObject({ type: 'invalid_request', message: expect.any(String) });
    },
  );
});

describe('list limit', () => {
  const server = createReferenceServer({ seed: generateConversations(120) });

  it('defaults to 10 rows and accepts 1 to 100', async () => {
    expect((await list(server)).body.data).toHaveLength(10);
    expect((await list(server, 'limit=1')).body.data).toHaveLength(1);
    expect((await list(server, 'limit=100')).body.data).toHaveLength(100);
  });

  it.each(['0', '101', '-1', '1.5', 'ten', ''])('answers 400 to limit=%s', async (limit) => {
    const { status, body } = await list(server, `limit=${limit}`);
    expect(status).toBe(400);
    expect(body.message).toContain('limit');
  });
});

describe('list cursors', () => {
  const rows = generateConversations(60, { seed: 5 });
  const server = createReferenceServer({ seed: rows });
  const unmuted = expectedOrder(rows).filter((r) => !r.is_muted);
  const id = (index: number) => unmuted.at(index)?.id as string;

  it('starting_after returns the rows after the cursor, has_more while more follow', async () => {
    expect((await list(server, 'muted=false&limit=7')).body).toEqual({
      has_more: true,
      data: unmuted.slice(0, 7),
    });
    expect((await list(server, `muted=false&limit=7&starting_after=${id(6)}`)).body).toEqual({
      has_more: true,
      data: unmuted.slice(7, 14),
    });
    const tail = unmuted.length - 3;
    expect((await list(server, `muted=false&limit=7&starting_after=${id(tail - 1)}`)).body).toEqual(
      { has_more: false, data: unmuted.slice(tail) },
    );
    expect((await list(server, `muted=false&starting_after=${id(-1)}`)).body).toEqual({
      has_more: false,
      data: [],
    });
  });

  it('ending_before returns the rows just before the cursor in list order, has_more while more precede', async () => {
    expect((await list(server, `muted=false&limit=7&ending_before=${id(14)}`)).body).toEqual({
      has_more: true,
      data: unmuted.slice(7, 14),
    });
    expect((await list(server, `muted=false&limit=7&ending_before=${id(3)}`)).body).toEqual({
      has_more: false,
      data: unmuted.slice(0, 3),
    });
    expect((await list(server, `muted=false&limit=7&ending_before=${id(7)}`)).body).toEqual({
      has_more: false,
      data: unmuted.slice(0, 7),
    });
    expect((await list(server, `muted=false&ending_before=${id(0)}`)).body).toEqual({
      has_more: false,
      data: [],
    });
  });

  it('walks the whole filtered list forwards and backwards, page by page', async () => {
    const forwards: Conversation[] = [];
    let query = 'muted=false&limit=4';
    for (;;) {
      const { body } = await list(server, query);
      forwards.push(...body.data);
      if (!body.has_more) break;
      query = `muted=false&limit=4&starting_after=${body.data.at(-1)?.id}`;
    }
    expect(forwards).toEqual(unmuted);
    const backwards: Conversation[] = [unmuted.at(-1) as Conversation];
    query = `muted=false&limit=4&ending_before=${id(-1)}`;
    for (;;) {
      const { body } = await list(server, query);
      backwards.unshift(...body.data);
      if (!body.has_more) break;
      query = `muted=false&limit=4&ending_before=${body.data[0]?.id}`;
    }
    expect(backwards).toEqual(unmuted);
  });

  it('answers 400 to a cursor that is not in the filtered list', async () => {
    const muted = rows.find((r) => r.is_muted)?.id;
    for (const query of [
      `muted=false&starting_after=${muted}`,
      `muted=false&ending_before=${muted}`,
      'starting_after=unknownConvId00',
    ]) {
      const { status, body } = await list(server, query);
      expect(status).toBe(400);
      expect(body).toMatchObject({ type: 'invalid_request' });
    }
  });

  it('answers 400 to starting_after and ending_before together', async () => {
    const { status } = await list(server, `starting_after=${id(1)}&ending_before=${id(5)}`);
    expect(status).toBe(400);
  });
});
