/**
 * What the store does with list replies and rows from the server that the API does not
 * document: which rows it refuses, what the round's error says, how the walk goes on.
 */
import { describe, expect, it } from 'vitest';
import type { Conversation, WalkProgress } from '../../src/index.js';
import { conversationProblem } from '../../src/model/validate.js';
import { A, B, C, harness, record, requests, syncedSuite } from '../fixtures.js';

const { t } = syncedSuite();

const listPath = '/v1/conversations';

/**
 * A store on a server holding A, B and C whose n-th list GET (1-based) is answered with
 * `pages[n - 1]` as its JSON text when there is one, else by the server. Returns the
 * counter of list GETs.
 */
function storeWithListReplies(pages: string[]) {
  t.h = harness([A, B, C]);
  const control = { lists: 0 };
  t.store = t.h.open({
    fetch: async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const method = (
        input instanceof Request ? input.method : (init?.method ?? 'GET')
      ).toUpperCase();
      if (method === 'GET' && url.pathname === listPath) {
        // Once the scripted pages ran out, the head read that ends a walk sees the first one
        // again: the server did not move.
        const next = control.lists++;
        const text = pages[next] ?? (url.searchParams.has('starting_after') ? undefined : pages[0]);
        if (text !== undefined) {
          return new Response(text, { headers: { 'content-type': 'application/json' } });
        }
      }
      return t.h.network.fetch(input, init);
    },
  });
  return control;
}

const page = (hasMore: boolean, data: unknown[]) => JSON.stringify({ has_more: hasMore, data });

describe('why a server row is refused', () => {
  const { pinned_message_id: _pinned, ...withoutPinned } = A;
  it.each<[string, unknown, string]>([
    ['a number', 42, 'not an object'],
    ['an empty id', { ...A, id: '' }, 'id is not a non-empty string'],
    ['no id', { ...A, id: undefined }, 'id is not a non-empty string'],
    ['a number for contact_id', { ...A, contact_id: 5 }, 'contact_id is not a string or null'],
    ['false for group_id', { ...A, group_id: false }, 'group_id is not a string or null'],
    ['no pinned_message_id', withoutPinned, 'pinned_message_id is not a string or null'],
    ['a string for is_pinned', { ...A, is_pinned: 'no' }, 'is_pinned is not a boolean'],
    [
      'a date string for last_opened_at',
      { ...A, last_opened_at: '2024-01-01' },
      'last_opened_at is not a timestamp or null',
    ],
  ])('a row with %s: %s', (_name, row, problem) => {
    expect(conversationProblem(row)).toBe(problem);
  });
});

describe('malformed rows in a list reply', () => {
  it('names a row with an id by its id, and stores neither it nor anything of it', async () => {
    const bad = { ...A, contact_id: 5 };
    storeWithListReplies([page(false, [bad, B, C])]);
    const summary = await t.store.sync.now();
    // Skipped where the walk read it, and again where the head read that ends the walk did.
    expect(summary).toMatchObject({ skipped: 2, complete: true });
    expect(summary.error).toMatchObject({
      name: 'ApiError',
      type: 'invalid_response',
      message: `Skipped a malformed row "${A.id}": contact_id is not a string or null`,
    });
    expect(await t.store.conversations.retrieve(A.id)).toBeUndefined();
    expect((await t.store.conversations.list()).data).toEqual([B, C]);
  });

  it('names a row without an id by its position in the page', async () => {
    const { id: _id, ...noId } = A;
    storeWithListReplies([page(false, [B, noId, C])]);
    const summary = await t.store.sync.now();
    // Skipped where the walk read it, and again where the head read that ends the walk did.
    expect(summary).toMatchObject({ skipped: 2, complete: true });
    expect(summary.error).toMatchObject({
      name: 'ApiError',
      type: 'invalid_response',
      message: 'Skipped a malformed row 1: id is not a non-empty string',
    });
    expect((await t.store.conversations.list()).data).toEqual([B, C]);
  });

  it('refuses a row with an empty id and does not count it among the rows the walk read', async () => {
    const emptyId: Conversation = { ...A, id: '' };
    storeWithListReplies([page(true, [emptyId, B]), page(false, [C])]);
    const progress = record(t.store.sync.status$);
    const summary = await t.store.sync.now();
    progress.stop();
    // Skipped where the walk read it, and again where the head read that ends the walk did.
    expect(summary).toMatchObject({ skipped: 2, complete: true });
    expect(summary.error?.message).toBe('Skipped a malformed row "": id is not a non-empty string');
    const seen = progress.values
      .map((status) => status.progress)
      .filter((p): p is WalkProgress => p !== null);
    expect(seen).toContainEqual({ pages: 1, rows: 1 });
    expect(seen).not.toContainEqual({ pages: 1, rows: 2 });
    expect((await t.store.conversations.list()).data).toEqual([B, C]);
  });

  it('stops the walk when the last row of a page that has more has an empty id', async () => {
    const control = storeWithListReplies([page(true, [B, { ...C, id: '' }])]);
    const summary = await t.store.sync.now();
    expect(summary).toMatchObject({ skipped: 1, complete: false, state: 'error' });
    expect(summary.error).toMatchObject({
      name: 'ApiError',
      type: 'invalid_response',
      message: 'The list pages gave no usable cursor; the walk stopped',
    });
    expect(control.lists).toBe(1);
    expect(requests(t.h.server, 'GET')).toEqual([]);
    expect((await t.store.conversations.list()).data).toEqual([B]);
  });
});

describe('a list reply that is not a page', () => {
  it('treats an empty reply body as a malformed page, not as a storage failure', async () => {
    storeWithListReplies(['']);
    const summary = await t.store.sync.now();
    expect(summary).toMatchObject({ skipped: 1, complete: false, state: 'error' });
    expect(summary.error).toMatchObject({
      name: 'ApiError',
      type: 'invalid_response',
      message: 'Skipped a malformed list page: expected { has_more, data }',
    });
    expect(await t.store.conversations.list()).toEqual({ has_more: false, data: [] });
  });
});
