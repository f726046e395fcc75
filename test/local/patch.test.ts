/**
 * patchPage: what one committed change of a record does to a first page held by the live
 * results cache, or `null` when the page alone cannot tell and the list is read again.
 */
import { describe, expect, it } from 'vitest';
import { patchPage } from '../../src/local/patch.js';
import type { Conversation, ListPage } from '../../src/model/conversation.js';
import { conversation } from '../fixtures.js';

const X = conversation({ id: 'XXXXXXXXXXXXXXXX', last_active_at: 300 });
const Y = conversation({ id: 'YYYYYYYYYYYYYYYY', last_active_at: 200 });
const Z = conversation({ id: 'ZZZZZZZZZZZZZZZZ', last_active_at: 100 });
const page = (has_more: boolean, ...data: Conversation[]): ListPage => ({ has_more, data });

describe('patchPage', () => {
  it('leaves a list read from a cursor to be read again', () => {
    const first = { ...X, id: 'WWWWWWWWWWWWWWWW', last_active_at: 250 };
    const change = { before: null, after: first };
    const shown = page(true, Y, Z);
    expect(patchPage(shown, { starting_after: X.id }, change)).toBeNull();
    expect(patchPage(shown, { ending_before: 'VVVVVVVVVVVVVVVV' }, change)).toBeNull();
  });

  it('returns the same page for a record that is on the list neither before nor after', () => {
    const shown = page(false, { ...X, is_muted: true });
    const change = { before: Y, after: { ...Y, is_pinned: true } };
    expect(patchPage(shown, { muted: true }, change)).toBe(shown);
  });

  it('changes a row in place when its place in the order stays', () => {
    const muted = { ...X, is_muted: true };
    expect(patchPage(page(true, X), { limit: 1 }, { before: X, after: muted })).toEqual(
      page(true, muted),
    );
  });

  it('moves a row that now sorts after the others of a complete list to its end', () => {
    const quiet = { ...X, last_active_at: 50 };
    expect(patchPage(page(false, X, Y, Z), {}, { before: X, after: quiet })).toEqual(
      page(false, Y, Z, quiet),
    );
  });

  it('moves a row within a page that has more after it', () => {
    const busier = { ...Z, last_active_at: 250 };
    expect(patchPage(page(true, X, Y, Z), { limit: 3 }, { before: Z, after: busier })).toEqual(
      page(true, X, busier, Y),
    );
  });

  it('reads the list again when a row moves to the end of a page that has more after it', () => {
    const quiet = { ...X, last_active_at: 50 };
    expect(patchPage(page(true, X, Y, Z), { limit: 3 }, { before: X, after: quiet })).toBeNull();
  });

  it('reads the list again when a row leaves a page that has more after it', () => {
    const muted = { ...Y, is_muted: true };
    expect(
      patchPage(page(true, X, Y), { muted: false, limit: 2 }, { before: Y, after: muted }),
    ).toBeNull();
  });

  it('reads the list again when a row beyond the page leaves the list', () => {
    const muted = { ...Z, is_muted: true };
    expect(patchPage(page(false, X, Y), { muted: false }, { before: Z, after: muted })).toBeNull();
  });
});
