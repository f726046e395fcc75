/** The devtools element's words: times, field names (never values), status rows, summary. */
import { describe, expect, it } from 'vitest';
import {
  clockTime,
  dateTime,
  errorText,
  fieldNames,
  statusRows,
  summaryText,
} from '../src/devtools/format.js';
import { ApiError, type SyncStatus } from '../src/index.js';

const status: SyncStatus = {
  state: 'idle',
  pending: 0,
  rejected: 0,
  lastSyncedAt: null,
  lastError: null,
  persisted: false,
  hasSynced: true,
  progress: null,
};
const at = new Date(2024, 4, 1, 9, 3, 7, 45).getTime(); // local time

describe('devtools words', () => {
  it('writes times in local time, padded', () => {
    expect(clockTime(at)).toBe('09:03:07.045');
    expect(dateTime(at)).toBe('2024-05-01 09:03:07');
  });

  it('names the fields a write sets, never their values', () => {
    expect(fieldNames({ op: 'update', patch: { is_muted: true, archived_at: null } })).toBe(
      'is_muted, archived_at',
    );
    expect(fieldNames({ op: 'create', body: { contact_id: 'secret' } })).toBe('contact_id');
    expect(fieldNames({ op: 'delete' })).toBe('');
  });

  it('lists the status as label and value, with the last error’s name and message', () => {
    const error = new ApiError(400, 'invalid_request', 'Not allowed');
    expect(errorText(error)).toBe('ApiError: Not allowed');
    expect(statusRows({ ...status, lastSyncedAt: at, lastError: error })).toEqual([
      ['state', 'State', 'idle'],
      ['pending', 'Pending', '0'],
      ['rejected', 'Rejected', '0'],
      ['last-synced', 'Last synced', '2024-05-01 09:03:07'],
      ['last-error', 'Last error', 'ApiError: Not allowed'],
      ['has-synced', 'Complete walk', 'done'],
      ['persisted', 'Persisted', 'no'],
    ]);
    expect(statusRows({ ...status, progress: { pages: 2, rows: 180 } }).at(-1)).toEqual([
      'progress',
      'Walking',
      '2 pages, 180 rows',
    ]);
    expect(statusRows(status)[3]).toEqual(['last-synced', 'Last synced', 'never']);
  });

  it('sums the status up in one line, naming refused writes only when there are some', () => {
    expect(summaryText(status)).toBe('idle · 0 pending');
    expect(summaryText({ ...status, state: 'offline', pending: 2, rejected: 1 })).toBe(
      'offline · 2 pending · 1 rejected',
    );
  });
});
