/**
 * The ValidationError the app gets for bad input to each method of the store: its field and
 * its exact message (user-facing), and that the input is refused before anything is stored.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ConversationStore } from '../../src/index.js';
import { ValidationError } from '../../src/model/errors.js';
import { A, localStore, requests, syncedHarness } from '../fixtures.js';

let store: ConversationStore | undefined;

afterEach(async () => {
  await store?.close();
  store = undefined;
});

/** Calls the store with input the app got wrong; each call is meant to reject. */
type BadCall = (store: ConversationStore) => Promise<unknown>;

const refusals: [string, BadCall, string, string][] = [
  [
    'create with a field that is not writable',
    (s) => s.conversations.create({ contact_id: 'k1', title: 'x' } as never),
    'title',
    'title: unknown or read-only field (allowed: contact_id, group_id)',
  ],
  [
    'create with an array',
    (s) => s.conversations.create([] as never),
    'input',
    'input: must be a plain object',
  ],
  [
    'create with both contact_id and group_id',
    (s) => s.conversations.create({ contact_id: 'k1', group_id: 'g1' } as never),
    'contact_id',
    'contact_id: give either contact_id or group_id, not both',
  ],
  [
    'create with neither contact_id nor group_id',
    (s) => s.conversations.create({} as never),
    'contact_id',
    'contact_id: one of contact_id or group_id is required',
  ],
  [
    'create with a number for contact_id',
    (s) => s.conversations.create({ contact_id: 5 } as never),
    'contact_id',
    'contact_id: must be a non-empty string',
  ],
  [
    'create with an empty group_id',
    (s) => s.conversations.create({ group_id: '' } as never),
    'group_id',
    'group_id: must be a non-empty string',
  ],
  [
    'update with null for a patch',
    (s) => s.conversations.update(A.id, null as never),
    'patch',
    'patch: must be a plain object',
  ],
  [
    'update with an empty pinned_message_id',
    (s) => s.conversations.update(A.id, { pinned_message_id: '' }),
    'pinned_message_id',
    'pinned_message_id: must be a non-empty string or null',
  ],
  [
    'update with a string for is_muted',
    (s) => s.conversations.update(A.id, { is_muted: 'yes' } as never),
    'is_muted',
    'is_muted: must be a boolean',
  ],
  [
    'update with a fractional archived_at',
    (s) => s.conversations.update(A.id, { archived_at: 1.5 }),
    'archived_at',
    'archived_at: must be a unix timestamp in seconds or null',
  ],
  [
    'retrieve with an empty id',
    (s) => s.conversations.retrieve(''),
    'id',
    'id: must be a non-empty string',
  ],
  [
    'list with a string for parameters',
    (s) => s.conversations.list('muted' as never),
    'params',
    'params: must be a plain object',
  ],
  [
    'list with a limit of 0',
    (s) => s.conversations.list({ limit: 0 }),
    'limit',
    'limit: must be an integer from 1 to 100',
  ],
  [
    'list with a string for muted',
    (s) => s.conversations.list({ muted: 'yes' } as never),
    'muted',
    'muted: must be a boolean',
  ],
  [
    'list with an empty group_id',
    (s) => s.conversations.list({ group_id: '' }),
    'group_id',
    'group_id: must be a non-empty string',
  ],
  [
    'list with both cursors',
    (s) => s.conversations.list({ starting_after: A.id, ending_before: A.id }),
    'ending_before',
    'ending_before: cannot be combined with starting_after',
  ],
  [
    'sync.now with a string for options',
    (s) => s.sync.now('full' as never),
    'options',
    'options: must be a plain object',
  ],
  [
    'sync.now with an unknown pull kind',
    (s) => s.sync.now({ pull: 'sometimes' } as never),
    'pull',
    "pull: must be 'full', 'recent' or 'none'",
  ],
  [
    'sync.refresh with one id instead of an array',
    (s) => s.sync.refresh(A.id as never),
    'ids',
    'ids: must be an array of ids',
  ],
  [
    'sync.refresh with an empty id second',
    (s) => s.sync.refresh([A.id, '']),
    'ids[1]',
    'ids[1]: must be a non-empty string',
  ],
];

describe('the ValidationError of each refused input', () => {
  it.each(refusals)('%s: names the field and says why', async (_name, call, field, message) => {
    const local = await localStore([A]);
    store = local.store;
    const before = await local.dump();
    let error: unknown;
    try {
      await call(store);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ name: 'ValidationError', field, message });
    expect(await local.dump()).toEqual(before);
  });
});

describe('create with null for the other id', () => {
  it('takes a null group_id as absent: a contact conversation', async () => {
    const local = await localStore();
    store = local.store;
    const created = await store.conversations.create({ contact_id: 'k1', group_id: null } as never);
    expect(created).toMatchObject({ contact_id: 'k1', group_id: null });
    expect(await store.conversations.retrieve(created.id)).toEqual(created);
  });

  it('takes a null contact_id as absent: a group conversation', async () => {
    const local = await localStore();
    store = local.store;
    const created = await store.conversations.create({ contact_id: null, group_id: 'g1' } as never);
    expect(created).toMatchObject({ contact_id: null, group_id: 'g1' });
    expect(await store.conversations.retrieve(created.id)).toEqual(created);
  });
});

describe('sync.now options', () => {
  it('runs a complete walk for an options object without pull', async () => {
    const synced = await syncedHarness();
    store = synced.store;
    const summary = await store.sync.now({});
    expect(summary).toMatchObject({ pull: 'full', complete: true, error: null });
    expect(requests(synced.h.server, 'GET').length).toBeGreaterThan(0);
  });
});
