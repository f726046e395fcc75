/**
 * The Conversation model's pure functions (model/conversation.ts): the patch algebra the
 * outbox, the rebase and the local writes rely on (apply, merge, diff), and the helpers that
 * copy, compare and check rows and operations.
 */
import { describe, expect, it } from 'vitest';
import {
  applyPatch,
  CONVERSATION_FIELDS,
  type Conversation,
  type ConversationPatch,
  diff,
  isTimestamp,
  mergePatches,
  operationOf,
  pickConversation,
  sameConversation,
} from '../../src/model/conversation.js';
import { toStored } from '../../src/storage/schema.js';
import { conversation } from '../fixtures.js';

const base: Conversation = conversation({
  id: 'c1',
  contact_id: 'k1',
  last_active_at: 100,
  created_at: 50,
});

describe('applyPatch', () => {
  it('sets the fields the patch names, null included, and keeps every other field', () => {
    const archived = { ...base, archived_at: 400, pinned_message_id: 'm1' };
    expect(applyPatch(archived, { archived_at: null, is_muted: true })).toEqual({
      ...archived,
      archived_at: null,
      is_muted: true,
    });
  });

  it('returns a new row and leaves the one it was given as it was', () => {
    const row = { ...base };
    const patched = applyPatch(row, { is_pinned: true });
    expect(patched).not.toBe(row);
    expect(row).toEqual(base);
  });

  it('changes no field an app may not write, whatever the patch carries', () => {
    const patch = { id: 'other', last_active_at: 999, is_muted: true } as ConversationPatch;
    expect(applyPatch(base, patch)).toEqual({ ...base, is_muted: true });
  });
});

describe('mergePatches', () => {
  it('lets later patches win', () => {
    expect(mergePatches([{ is_muted: true, is_pinned: true }, { is_muted: false }])).toEqual({
      is_muted: false,
      is_pinned: true,
    });
  });

  it('merges nothing into an empty patch, and changes none of the patches it merges', () => {
    expect(mergePatches([])).toEqual({});
    const first = { is_muted: true };
    mergePatches([first, { is_pinned: true }]);
    expect(first).toEqual({ is_muted: true });
  });

  it('applies as the patches applied one after the other', () => {
    const patches: ConversationPatch[] = [
      { is_muted: true, archived_at: 10 },
      { archived_at: null },
      { pinned_message_id: 'm2' },
    ];
    const stepwise = patches.reduce(applyPatch, base);
    expect(applyPatch(base, mergePatches(patches))).toEqual(stepwise);
  });
});

describe('diff', () => {
  it('lists only writable fields that differ', () => {
    expect(diff(base, { ...base, is_muted: true, last_active_at: 9 })).toEqual({ is_muted: true });
  });

  it('is empty between a row and itself', () => {
    expect(diff(base, { ...base })).toEqual({});
  });

  it('is the patch that turns one row into the other', () => {
    const to = { ...base, is_pinned: true, archived_at: 300, pinned_message_id: 'm3' };
    expect(applyPatch(base, diff(base, to))).toEqual(to);
  });
});

describe('pickConversation', () => {
  it('copies exactly the API’s fields, in the API’s order, dropping what a stored row adds', () => {
    const stored = toStored({ ...base, group_id: 'g1' });
    expect(Object.keys(stored)).toContain('s');
    const picked = pickConversation(stored);
    expect(picked).toEqual({ ...base, group_id: 'g1' });
    expect(Object.keys(picked)).toEqual([...CONVERSATION_FIELDS]);
  });
});

describe('sameConversation', () => {
  it('compares every field, and only those', () => {
    expect(sameConversation(base, { ...base })).toBe(true);
    expect(sameConversation(base, toStored(base))).toBe(true);
    expect(sameConversation(base, { ...base, last_opened_at: 1 })).toBe(false);
  });

  it('counts two missing rows as equal, and one missing as different', () => {
    expect(sameConversation(undefined, undefined)).toBe(true);
    expect(sameConversation(base, undefined)).toBe(false);
    expect(sameConversation(undefined, base)).toBe(false);
  });
});

describe('isTimestamp', () => {
  it('accepts whole unix seconds from 0 on', () => {
    expect([0, 1, 1_700_000_000].map(isTimestamp)).toEqual([true, true, true]);
  });

  it('refuses negative, fractional, unsafe and non-number values', () => {
    const refused = [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '1700000000', null];
    expect(refused.map(isTimestamp)).toEqual(refused.map(() => false));
  });
});

describe('operationOf', () => {
  it('keeps only the request of a queued write, without its bookkeeping', () => {
    const entry = {
      op: 'update' as const,
      patch: { is_muted: true },
      recordId: 'c1',
      key: 'k',
      attempts: 2,
    };
    expect(operationOf(entry)).toEqual({ op: 'update', patch: { is_muted: true } });
    expect(
      operationOf({ op: 'create', body: { contact_id: 'k1' }, recordId: 'tmp_1' } as never),
    ).toEqual({ op: 'create', body: { contact_id: 'k1' } });
    expect(operationOf({ op: 'delete', recordId: 'c1' } as never)).toEqual({ op: 'delete' });
  });
});
