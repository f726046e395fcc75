import { describe, expect, it } from 'vitest';
import type { Conversation } from '../../src/model/conversation.js';
import { conflictingFields, rebase } from '../../src/sync/reconcile.js';
import { conversation } from '../fixtures.js';

const base: Conversation = conversation({
  id: 'c1',
  contact_id: 'k1',
  last_active_at: 100,
  created_at: 50,
});

describe('rebase', () => {
  it('keeps the server edit of one field and the local edit of another', () => {
    const server = { ...base, is_pinned: true, last_active_at: 200 };
    const result = rebase(base, server, { is_muted: true });
    expect(result.row).toEqual({ ...server, is_muted: true });
    expect(result.fields).toEqual([]);
  });

  it('lets the local pending change win a field both sides changed, and reports it', () => {
    const server = { ...base, is_muted: true, archived_at: 300 };
    const result = rebase(base, server, { archived_at: 400 });
    expect(result.row.archived_at).toBe(400);
    expect(result.row.is_muted).toBe(true);
    expect(result.fields).toEqual(['archived_at']);
  });

  it('does not report a conflict when both sides made the same change', () => {
    const server = { ...base, is_muted: true };
    expect(rebase(base, server, { is_muted: true }).fields).toEqual([]);
  });

  it('asks resolveConflict only when fields conflict, and applies its answer', () => {
    const server = { ...base, is_pinned: true };
    const calls: unknown[] = [];
    const result = rebase(base, server, { is_pinned: false, is_muted: true }, (context) => {
      calls.push(context);
      return { is_muted: true }; // server wins is_pinned, keep the mute
    });
    expect(calls).toEqual([
      {
        id: 'c1',
        fields: ['is_pinned'],
        base,
        server,
        pending: { is_pinned: false, is_muted: true },
      },
    ]);
    expect(result.row).toEqual({ ...server, is_muted: true });
    expect(result.resolvedPending).toEqual({ is_muted: true });
  });

  it('does not call resolveConflict when no field conflicts, and keeps nothing more pending', () => {
    const server = { ...base, is_pinned: true };
    const calls: unknown[] = [];
    const result = rebase(base, server, { is_muted: true }, (context) => {
      calls.push(context);
      return {};
    });
    expect(calls).toEqual([]);
    expect(result).toEqual({
      row: { ...server, is_muted: true },
      fields: [],
      resolvedPending: null,
    });
  });

  it('keeps the local changes when resolveConflict throws or returns an invalid patch', () => {
    const server = { ...base, is_pinned: true };
    const pending = { is_pinned: false };
    const thrown = rebase(base, server, pending, () => {
      throw new Error('boom');
    });
    expect(thrown.row.is_pinned).toBe(false);
    const invalid = rebase(base, server, pending, () => ({ id: 'x' }) as never);
    expect(invalid.row.is_pinned).toBe(false);
  });
});

describe('conflictingFields', () => {
  it('ignores fields the server did not change', () => {
    expect(conflictingFields(base, { ...base, is_pinned: true }, { is_muted: true })).toEqual([]);
  });
});
