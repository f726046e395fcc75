/** The PWA example's words for people: status, refused writes, conflicts, activity. */
import { describe, expect, it } from 'vitest';
import {
  activityText,
  conflictText,
  rejectionText,
  statusText,
} from '../../../examples/pwa/words.js';
import { ApiError, type Rejection } from '../../../src/index.js';
import { A } from '../../fixtures.js';

describe('statusText', () => {
  it.each([
    [{ state: 'idle', pending: 0, lastSyncedAt: 1 }, 'Synced'],
    [{ state: 'idle', pending: 0, lastSyncedAt: null }, 'Not synced yet'],
    [{ state: 'idle', pending: 2, lastSyncedAt: 1 }, '2 changes waiting'],
    [{ state: 'syncing', pending: 1, lastSyncedAt: 1 }, 'Syncing…'],
    [{ state: 'offline', pending: 0, lastSyncedAt: 1 }, 'Offline'],
    [{ state: 'offline', pending: 1, lastSyncedAt: 1 }, 'Offline, 1 change waiting'],
    [{ state: 'offline', pending: 3, lastSyncedAt: 1 }, 'Offline, 3 changes waiting'],
    [{ state: 'paused', pending: 3, lastSyncedAt: 1 }, 'Signed out — sign in again'],
    [{ state: 'error', pending: 1, lastSyncedAt: 1 }, 'Sync problem, retrying'],
  ] as const)('%j → %s', (status, text) => {
    expect(statusText(status)).toBe(text);
  });
});

describe('rejectionText and conflictText', () => {
  const error = new ApiError(400, 'invalid_request', 'Not allowed');
  const rejection = (operation: Partial<Rejection>) =>
    ({ id: 1, recordId: A.id, rejectedAt: 0, error, ...operation }) as Rejection;

  it('names what was refused and why, by the conversation’s name', () => {
    expect(
      rejectionText(
        rejection({ op: 'update', patch: { is_muted: true, archived_at: null } }),
        'Ann',
      ),
    ).toBe('Muting and unarchiving Ann was refused by the server: Not allowed');
    expect(rejectionText(rejection({ op: 'create', body: { group_id: 'g1' } }))).toBe(
      'Starting a conversation with group g1 was refused by the server: Not allowed',
    );
    expect(rejectionText(rejection({ op: 'delete' }))).toBe(
      `Deleting ${A.id} was refused by the server: Not allowed`,
    );
  });

  it('says what another device did', () => {
    const local = { ...A, contact_id: 'Ann' };
    expect(
      conflictText({
        id: A.id,
        kind: 'field',
        fields: ['is_pinned'],
        server: A,
        local,
        resolved: local,
      }),
    ).toBe('Ann was changed on another device too (pinned); your change was kept.');
    expect(
      conflictText({ id: A.id, kind: 'deleted', fields: [], server: null, local, resolved: null }),
    ).toBe('Ann was deleted on another device; your changes to it were dropped.');
  });
});

describe('activityText', () => {
  const request = {
    type: 'request',
    status: 200,
    failure: null,
    durationMs: 34,
    attempt: 1,
  } as const;
  const roundEnd = {
    type: 'round-end',
    kind: 'recent',
    pushed: 0,
    pulled: 0,
    removed: 0,
    conflicts: 0,
    rejected: 0,
    skipped: 0,
    complete: false,
    state: 'idle',
    durationMs: 50,
  } as const;

  it('says what each request did, with its method, status and time', () => {
    const path = `/v1/conversations/${A.id}`;
    expect(activityText({ ...request, method: 'PUT', path }, { name: 'Mute', pages: 0 })).toBe(
      'Sent your change to Mute (PUT, 200, 34 ms)',
    );
    expect(
      activityText(
        {
          ...request,
          method: 'GET',
          path: '/v1/conversations?limit=100',
          status: null,
          failure: 'timeout',
        },
        { pages: 1 },
      ),
    ).toBe('Read a page of conversations (GET, timed out, 34 ms)');
  });

  it('sums up a round: what it sent and the pages it checked', () => {
    expect(activityText(roundEnd, { pages: 1 })).toBe('Checked 1 page, nothing new');
    expect(activityText({ ...roundEnd, kind: 'full', pushed: 2, pulled: 3 }, { pages: 4 })).toBe(
      'Sent 2 changes; checked 4 pages, 3 updated',
    );
    expect(activityText({ ...roundEnd, kind: 'none' }, { pages: 0 })).toBeNull();
    expect(activityText({ ...roundEnd, state: 'offline' }, { pages: 0 })).toBe(
      'Could not reach the server; will try again',
    );
  });

  it('names the conversation a decision was about', () => {
    expect(
      activityText(
        { type: 'backoff', recordId: A.id, until: 0, delayMs: 1500, reason: 'status', status: 503 },
        { name: 'Ada', pages: 0 },
      ),
    ).toBe('Will try Ada again in 2 s');
    expect(
      activityText(
        { type: 'coalesced', recordId: A.id, op: 'update', outcome: 'merged' },
        { pages: 0 },
      ),
    ).toBe(`Combined your changes to ${A.id} into one request`);
  });
});
