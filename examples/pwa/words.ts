/**
 * What the example says to people about sync: short sentences instead of states, counts
 * and error texts.
 */
import type { Conflict, Conversation, Rejection, SyncStatus } from 'protocol-offline';

const changes = (count: number) => (count === 1 ? '1 change' : `${count} changes`);

/** The status bar: "Synced", "Syncing…", "Offline, 3 changes waiting", ... */
export function statusText(status: Pick<SyncStatus, 'state' | 'pending' | 'lastSyncedAt'>): string {
  const waiting = `${changes(status.pending)} waiting`;
  switch (status.state) {
    case 'paused':
      return 'Signed out — sign in again';
    case 'offline':
      return status.pending === 0 ? 'Offline' : `Offline, ${waiting}`;
    case 'syncing':
      return 'Syncing…';
    case 'error':
      return 'Sync problem, retrying';
    case 'closed':
      return 'Closed';
    case 'idle':
      if (status.pending > 0) return waiting;
      return status.lastSyncedAt === null ? 'Not synced yet' : 'Synced';
  }
}

/** "Last synced 10:42" under the status, or nothing before the first sync. */
export function lastSyncedText(at: number | null, locale?: string): string {
  if (at === null) return '';
  const time = new Date(at).toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' });
  return `Last synced ${time}`;
}

/** Who a conversation is with, for people: its contact or its group. */
export function conversationName(row: Pick<Conversation, 'contact_id' | 'group_id'>): string {
  return row.contact_id ?? `group ${row.group_id}`;
}

/** A refused write, for the "not saved" list; `name` is the conversation's, when known. */
export function rejectionText(rejection: Rejection, name = rejection.recordId): string {
  const what =
    rejection.op === 'create'
      ? `Starting a conversation with ${'contact_id' in rejection.body ? rejection.body.contact_id : `group ${rejection.body.group_id}`}`
      : rejection.op === 'delete'
        ? `Deleting ${name}`
        : `${Object.entries(rejection.patch).map(verb).join(' and ')} ${name}`;
  return `${what} was refused by the server: ${rejection.error.message}`;
}

/** A conflict settled during sync, for the "changed elsewhere" list. */
export function conflictText(conflict: Conflict): string {
  const row = conflict.local ?? conflict.server;
  const name = row === null ? conflict.id : conversationName(row);
  if (conflict.kind === 'deleted') {
    return `${name} was deleted on another device; your changes to it were dropped.`;
  }
  const fields = conflict.fields.map((field) => FIELD_NAMES[field] ?? field).join(', ');
  return `${name} was changed on another device too (${fields}); your change was kept.`;
}

const FIELD_NAMES: Record<string, string> = {
  is_muted: 'muted',
  is_pinned: 'pinned',
  archived_at: 'archived',
  pinned_message_id: 'pinned message',
};

const VERBS: Record<string, [on: string, off: string]> = {
  is_muted: ['Muting', 'Unmuting'],
  is_pinned: ['Pinning', 'Unpinning'],
  archived_at: ['Archiving', 'Unarchiving'],
  pinned_message_id: ['Pinning a message in', 'Unpinning the message of'],
};

const verb = ([field, value]: [string, unknown], index: number) => {
  const [on, off] = VERBS[field] ?? [`Changing ${field} of`, `Clearing ${field} of`];
  const text = value === null || value === false ? off : on;
  return index === 0 ? text : text.toLowerCase();
};
