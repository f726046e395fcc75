/**
 * What the devtools element says, as plain text: pure functions from the store's values to
 * strings, so the element only places them. Operations show field names, never values:
 * the panel is safe to leave open on a shared screen or in a screenshot.
 */
import type { RefusedOperation, SyncEvent, SyncStatus, WriteOperation } from '../index.js';
import { describeEvent } from '../platform/debug.js';

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** `14:03:27.123`, local time: when an event or a conflict arrived. */
export function clockTime(ms: number): string {
  const date = new Date(ms);
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  return `${time}.${pad(date.getMilliseconds(), 3)}`;
}

/** `2024-05-01 14:03:27`, local time. */
export function dateTime(ms: number): string {
  const date = new Date(ms);
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  return `${day} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** The fields a queued or refused write sets, by name (its values stay out of sight). */
export function fieldNames(operation: WriteOperation | RefusedOperation): string {
  if (operation.op === 'create') return Object.keys(operation.body).join(', ');
  if (operation.op === 'update') return Object.keys(operation.patch).join(', ');
  return '';
}

/** `ApiError: Not allowed`, or `none`. */
export function errorText(error: Error | null): string {
  return error === null ? 'none' : `${error.name}: ${error.message}`;
}

/** The status as label and value pairs, in the order the panel lists them. */
export function statusRows(status: SyncStatus): [field: string, label: string, value: string][] {
  const rows: [string, string, string][] = [
    ['state', 'State', status.state],
    ['pending', 'Pending', String(status.pending)],
    ['rejected', 'Rejected', String(status.rejected)],
    [
      'last-synced',
      'Last synced',
      status.lastSyncedAt === null ? 'never' : dateTime(status.lastSyncedAt),
    ],
    ['last-error', 'Last error', errorText(status.lastError)],
    ['has-synced', 'Complete walk', status.hasSynced ? 'done' : 'not yet'],
    ['persisted', 'Persisted', status.persisted ? 'yes' : 'no'],
  ];
  if (status.progress !== null) {
    const { pages, rows: read } = status.progress;
    rows.push(['progress', 'Walking', `${pages} pages, ${read} rows`]);
  }
  return rows;
}

/** The header's one-line summary: `idle · 2 pending · 1 rejected`. */
export function summaryText(status: SyncStatus): string {
  const parts = [status.state, `${status.pending} pending`];
  if (status.rejected > 0) parts.push(`${status.rejected} rejected`);
  return parts.join(' · ');
}

/** One debug event as a line, as the `debug` printer writes it (`PUT /v1/… 200 12ms`). */
export const eventText: (event: SyncEvent) => string = describeEvent;
