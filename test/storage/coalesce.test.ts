import { describe, expect, it } from 'vitest';
import type { Conversation } from '../../src/model/conversation.js';
import { coalesce, materialize, type Operation } from '../../src/storage/coalesce.js';
import type { OutboxEntry } from '../../src/storage/schema.js';
import { conversation } from '../fixtures.js';

const server: Conversation = conversation({
  id: 'c1',
  contact_id: 'k1',
  last_active_at: 100,
  created_at: 50,
});

let nextSeq = 1;
function entry(operation: Operation, sent = false): OutboxEntry {
  return {
    ...operation,
    seq: nextSeq++,
    recordId: 'c1',
    key: `key-${nextSeq}`,
    sentAt: sent ? 1 : null,
    attempts: sent ? 1 : 0,
    notBefore: 0,
    enqueuedAt: 0,
    lastError: null,
  };
}

const priorFrom = (entries: OutboxEntry[]) => (seq: number) =>
  materialize(
    server,
    entries.filter((e) => (e.seq as number) < seq),
  );

describe('coalesce', () => {
  it('appends the first update of a record', () => {
    const plan = coalesce([], { op: 'update', patch: { is_muted: true } }, priorFrom([]));
    expect(plan).toEqual({
      remove: [],
      replace: null,
      append: { op: 'update', patch: { is_muted: true } },
    });
  });

  it('merges an update into the unsent update before it, later fields winning', () => {
    const first = entry({ op: 'update', patch: { is_muted: true, is_pinned: true } });
    const plan = coalesce(
      [first],
      { op: 'update', patch: { is_pinned: false, archived_at: 7 } },
      priorFrom([first]),
    );
    // is_pinned goes back to the server's value, so it no longer needs sending.
    expect(plan).toEqual({
      remove: [],
      replace: { seq: first.seq, patch: { is_muted: true, archived_at: 7 } },
      append: null,
    });
  });

  it('drops an unsent update whose merged fields all return to the base state', () => {
    const first = entry({ op: 'update', patch: { is_muted: true } });
    const plan = coalesce(
      [first],
      { op: 'update', patch: { is_muted: false } },
      priorFrom([first]),
    );
    expect(plan).toEqual({ remove: [first.seq], replace: null, append: null });
  });

  it('does not queue an update that changes nothing', () => {
    const plan = coalesce([], { op: 'update', patch: { is_muted: false } }, priorFrom([]));
    expect(plan.append).toBeNull();
  });

  it('never merges into an update that was already sent: the new one queues behind it', () => {
    const sent = entry({ op: 'update', patch: { is_muted: true } }, true);
    const plan = coalesce([sent], { op: 'update', patch: { is_pinned: true } }, priorFrom([sent]));
    expect(plan).toEqual({
      remove: [],
      replace: null,
      append: { op: 'update', patch: { is_pinned: true } },
    });
  });

  it('queues updates of a local create behind the create (one POST, then one PUT)', () => {
    const create = entry({ op: 'create', body: { contact_id: 'k1' } });
    const plan = coalesce([create], { op: 'update', patch: { is_muted: true } }, () => null);
    expect(plan.append).toEqual({ op: 'update', patch: { is_muted: true } });
    expect(plan.remove).toEqual([]);
  });

  it('sends nothing for a create followed by a delete before sending', () => {
    const create = entry({ op: 'create', body: { contact_id: 'k1' } });
    const update = entry({ op: 'update', patch: { is_muted: true } });
    const plan = coalesce([create, update], { op: 'delete' }, () => null);
    expect(plan).toEqual({ remove: [create.seq, update.seq], replace: null, append: null });
  });

  it('sends the delete after a create that already left', () => {
    const create = entry({ op: 'create', body: { contact_id: 'k1' } }, true);
    const update = entry({ op: 'update', patch: { is_muted: true } });
    const plan = coalesce([create, update], { op: 'delete' }, () => null);
    expect(plan).toEqual({ remove: [update.seq], replace: null, append: { op: 'delete' } });
  });

  it('turns unsent updates followed by a delete into one DELETE', () => {
    const a = entry({ op: 'update', patch: { is_muted: true } });
    const plan = coalesce([a], { op: 'delete' }, priorFrom([a]));
    expect(plan).toEqual({ remove: [a.seq], replace: null, append: { op: 'delete' } });
  });

  it('keeps a sent update in front of the delete that follows it', () => {
    const sent = entry({ op: 'update', patch: { is_muted: true } }, true);
    const plan = coalesce([sent], { op: 'delete' }, priorFrom([sent]));
    expect(plan).toEqual({ remove: [], replace: null, append: { op: 'delete' } });
  });
});

describe('materialize', () => {
  it('applies queued updates in order on top of the base and a delete removes the record', () => {
    const updates = [
      entry({ op: 'update', patch: { is_muted: true } }),
      entry({ op: 'update', patch: { is_muted: false, is_pinned: true } }),
    ];
    expect(materialize(server, updates)).toEqual({ ...server, is_pinned: true });
    expect(materialize(server, [...updates, entry({ op: 'delete' })])).toBeNull();
  });
});
