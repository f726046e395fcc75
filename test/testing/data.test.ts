/** Direct data access ("another device"), the seed data and the generator. */
import { describe, expect, it } from 'vitest';
import {
  createReferenceServer,
  generateConversations,
  SEED_CONVERSATIONS,
} from '../../src/testing/index.js';
import { auth, DOC_EXAMPLE, list, ORIGIN } from './support.js';

describe('direct data access', () => {
  it('insert fills the defaults, generates an id and sets created_at to now()', () => {
    const server = createReferenceServer({ now: () => 1234, generateId: () => 'generatedId00001' });
    const inserted = server.insert({ group_id: 'g1', is_muted: true });
    expect(inserted).toEqual({
      id: 'generatedId00001',
      contact_id: null,
      group_id: 'g1',
      pinned_message_id: null,
      is_pinned: false,
      is_muted: true,
      last_active_at: null,
      last_opened_at: null,
      created_at: 1234,
      archived_at: null,
    });
    expect(server.get('generatedId00001')).toEqual(inserted);
  });

  it('insert keeps a given id and refuses one that exists', () => {
    const server = createReferenceServer();
    server.insert({ id: 'mine', contact_id: 'c', created_at: 5 });
    expect(server.get('mine')?.created_at).toBe(5);
    expect(() => server.insert({ id: 'mine', contact_id: 'c' })).toThrow('mine');
  });

  it('generates 16 letters and digits by default, and a fresh id when generateId repeats', () => {
    const ids = ['same', 'same', 'other'];
    const server = createReferenceServer({ generateId: () => ids.shift() ?? 'x' });
    server.insert({ contact_id: 'a' });
    expect(server.insert({ contact_id: 'b' }).id).toBe('other');
    expect(createReferenceServer().insert({ contact_id: 'c' }).id).toMatch(/^[A-Za-z0-9]{16}$/);
  });

  it('update changes any field but the id, and the list order follows', async () => {
    const server = createReferenceServer({ seed: SEED_CONVERSATIONS });
    const last = server.all().at(-1)?.id as string;
    const updated = server.update(last, { last_active_at: 800000000, id: 'ignored' });
    expect(updated.id).toBe(last);
    expect(server.all()[0]?.id).toBe(last);
    expect((await list(server, 'limit=1')).body.data[0]).toEqual(updated);
    expect(() => server.update('missing', { is_muted: true })).toThrow('missing');
  });

  it('remove deletes a conversation and says whether there was one', async () => {
    const server = createReferenceServer({ seed: SEED_CONVERSATIONS });
    expect(server.remove('xgQQXg3hrtjh7AvZ')).toBe(true);
    expect(server.remove('xgQQXg3hrtjh7AvZ')).toBe(false);
    const response = await server.fetch(`${ORIGIN}/v1/conversations/xgQQXg3hrtjh7AvZ`, {
      headers: auth,
    });
    expect(response.status).toBe(404);
  });

  it('reset replaces every row', () => {
    const server = createReferenceServer({ seed: SEED_CONVERSATIONS });
    const rows = generateConversations(3);
    server.reset(rows);
    expect(
      server
        .all()
        .map((r) => r.id)
        .sort(),
    ).toEqual(rows.map((r) => r.id).sort());
    server.reset();
    expect(server.all()).toEqual([]);
  });

  it('hands out copies: changing a returned row changes nothing on the server', () => {
    const server = createReferenceServer({ seed: SEED_CONVERSATIONS });
    const copy = server.get('xgQQXg3hrtjh7AvZ');
    if (copy) copy.is_muted = true;
    const first = server.all()[0];
    if (first) first.is_pinned = true;
    expect(server.get('xgQQXg3hrtjh7AvZ')).toEqual(SEED_CONVERSATIONS[0]);
  });

  it('bypasses auth and faults', () => {
    const server = createReferenceServer();
    server.faults.offline = true;
    server.faults.failNext(500);
    server.insert({ contact_id: 'c' });
    expect(server.all()).toHaveLength(1);
    expect(server.requests).toEqual([]);
  });
});

describe('seed data', () => {
  it('starts with the documented example exactly, and every row is frozen', () => {
    expect(SEED_CONVERSATIONS[0]).toEqual(DOC_EXAMPLE);
    expect(Object.isFrozen(SEED_CONVERSATIONS)).toBe(true);
    expect(SEED_CONVERSATIONS.every((row) => Object.isFrozen(row))).toBe(true);
  });

  it('covers every filter', () => {
    expect(SEED_CONVERSATIONS.some((r) => r.is_muted)).toBe(true);
    expect(SEED_CONVERSATIONS.some((r) => r.is_pinned)).toBe(true);
    expect(SEED_CONVERSATIONS.some((r) => r.archived_at !== null)).toBe(true);
    expect(SEED_CONVERSATIONS.some((r) => r.group_id !== null)).toBe(true);
    expect(SEED_CONVERSATIONS.some((r) => r.last_active_at === null)).toBe(true);
  });
});

describe('generateConversations', () => {
  it('gives the same rows for the same seed and different rows for another', () => {
    expect(generateConversations(50, { seed: 7 })).toEqual(generateConversations(50, { seed: 7 }));
    expect(generateConversations(50, { seed: 8 })).not.toEqual(
      generateConversations(50, { seed: 7 }),
    );
  });

  it('makes unique 16-character ids, exactly one of contact_id or group_id, and valid timestamps', () => {
    const rows = generateConversations(500, { startTime: 1_700_000_000, groups: 3 });
    expect(rows).toHaveLength(500);
    expect(new Set(rows.map((r) => r.id)).size).toBe(500);
    for (const row of rows) {
      expect(row.id).toMatch(/^[A-Za-z0-9]{16}$/);
      expect((row.contact_id === null) !== (row.group_id === null)).toBe(true);
      expect(row.created_at).toBeGreaterThanOrEqual(1_700_000_000);
      expect(Number.isInteger(row.created_at)).toBe(true);
    }
    expect(new Set(rows.map((r) => r.group_id).filter((g) => g !== null))).toEqual(
      new Set(['group-0', 'group-1', 'group-2']),
    );
  });

  it('mixes muted, pinned, archived, group and null last_active_at rows, with ties', () => {
    const rows = generateConversations(300);
    for (const predicate of [
      (r: (typeof rows)[number]) => r.is_muted,
      (r: (typeof rows)[number]) => r.is_pinned,
      (r: (typeof rows)[number]) => r.archived_at !== null,
      (r: (typeof rows)[number]) => r.group_id !== null,
      (r: (typeof rows)[number]) => r.last_active_at === null,
    ]) {
      const share = rows.filter(predicate).length;
      expect(share).toBeGreaterThan(0);
      expect(share).toBeLessThan(rows.length);
    }
    const createdAt = rows.map((r) => r.created_at);
    expect(new Set(createdAt).size).toBeLessThan(createdAt.length);
  });
});
