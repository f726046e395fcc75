/** The PWA example's words for people: status, refused writes, conflicts. */
import { describe, expect, it } from 'vitest';
import { conflictText, rejectionText, statusText } from '../../../examples/pwa/words.js';
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
