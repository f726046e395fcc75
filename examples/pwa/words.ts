/**
 * What the example says to people about sync: short sentences instead of states, counts
 * and error texts.
 */
import type {
  Conflict,
  Conversation,
  Rejection,
  RequestEvent,
  SyncEvent,
  SyncStatus,
} from 'protocol-offline';

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

/** What the activity panel knows besides the event: the record's name, pages read this round. */
export interface ActivityContext {
  /** The conversation's name, when the event is about one still known here. */
  name?: string | undefined;
  /** List pages read since the round began. */
  pages: number;
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/** "(PUT, 200, 34 ms)", or "(PUT, no network, 34 ms)". */
function outcome({ method, status, failure, durationMs }: RequestEvent): string {
  const answer =
    status ??
    (failure === 'timeout' ? 'timed out' : failure === 'aborted' ? 'cancelled' : 'no network');
  return `(${method}, ${answer}, ${durationMs} ms)`;
}

/** One event of `sync.events$` in words for the activity panel; null for those not shown. */
export function activityText(event: SyncEvent, { name, pages }: ActivityContext): string | null {
  switch (event.type) {
    case 'round-start':
      return null;
    case 'round-end': {
      if (event.state === 'offline') return 'Could not reach the server; will try again';
      const parts: string[] = [];
      if (event.pushed > 0) parts.push(`sent ${changes(event.pushed)}`);
      if (event.kind !== 'none') {
        const found = event.pulled > 0 ? `${event.pulled} updated` : 'nothing new';
        parts.push(`checked ${plural(pages, 'page')}, ${found}`);
      }
      if (event.removed > 0) parts.push(`${event.removed} removed`);
      const text = parts.join('; ');
      return text === '' ? null : text.charAt(0).toUpperCase() + text.slice(1);
    }
    case 'request': {
      const who = name ?? 'a conversation';
      if (event.method === 'POST') return `Sent your new conversation ${outcome(event)}`;
      if (event.method === 'PUT') return `Sent your change to ${who} ${outcome(event)}`;
      if (event.method === 'DELETE') return `Sent your deletion of ${who} ${outcome(event)}`;
      if (name !== undefined) return `Read ${name} from the server ${outcome(event)}`;
      return `Read a page of conversations ${outcome(event)}`;
    }
    case 'coalesced':
      return event.outcome === 'merged'
        ? `Combined your changes to ${name ?? event.recordId} into one request`
        : `Nothing to send for ${name ?? event.recordId}: your changes cancel out`;
    case 'rebased':
      return `Kept your changes to ${name ?? event.recordId} on top of newer ones from the server`;
    case 'conflict':
      return `${name ?? event.recordId} was changed on another device too`;
    case 'rejected':
      return `The server refused your change to ${name ?? event.recordId} (${event.status})`;
    case 'removed':
      return `${name ?? event.recordId} is gone from the server, so it was removed here`;
    case 'id-remapped':
      return `Your new conversation is saved on the server`;
    case 'backoff':
      return `Will try ${name ?? event.recordId} again in ${Math.ceil(event.delayMs / 1000)} s`;
    case 'checked':
      return `Checked ${name ?? event.recordId} on the server before sending your change`;
    case 'evicted':
      return `Freed space: ${plural(event.count, 'old conversation')} removed from this device`;
    case 'reserve':
      return event.held
        ? 'Set space aside again for changes made while the device is full'
        : 'The device is full: used the space set aside to keep your change';
  }
}
