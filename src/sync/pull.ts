/**
 * Pull: walks every page of `GET /v1/conversations` with `starting_after` cursors and
 * reconciles each page in one transaction as it arrives, so memory holds one page plus
 * the ids seen. After a complete walk, local records the server did not list (and that
 * have no pending create) were deleted there and are removed here.
 */
import { type OutboxEntry, type StoreDatabase, toStored } from '../db.js';
import { ApiError, toStorageError } from '../errors.js';
import {
  type Conversation,
  conversationProblem,
  parseServerConversation,
  pickConversation,
  sameConversation,
} from '../model.js';
import { materialize, newEntry } from '../outbox.js';
import { TEMPORARY_PREFIX } from '../queries.js';
import type { SyncContext } from './context.js';
import { type Conflict, diff, mergePatches, rebase } from './reconcile.js';

export interface PullResult {
  /** Server rows that changed something locally. */
  pulled: number;
  /** Local records removed because the server no longer lists them. */
  removed: number;
  conflicts: number;
  /** Malformed rows or pages that were skipped. */
  skipped: number;
  /** True when every page was read. */
  complete: boolean;
  /** Why the walk stopped early. */
  error: Error | null;
}

interface Page {
  rows: Conversation[];
  /** Every id the page named, malformed rows included (never mistaken for deletions). */
  ids: string[];
  hasMore: boolean;
  /** The cursor for the next page: the id of the page's last row. */
  lastId: string | null;
}

function malformed(message: string): ApiError {
  return new ApiError(200, 'invalid_response', message);
}

/** Validates a list reply; malformed rows are reported and left out. */
export function parsePage(body: unknown, report: (error: Error) => void): Page | null {
  if (typeof body !== 'object' || body === null) return null;
  const { has_more: hasMore, data } = body as { has_more?: unknown; data?: unknown };
  if (typeof hasMore !== 'boolean' || !Array.isArray(data)) return null;
  const page: Page = { rows: [], ids: [], hasMore, lastId: null };
  data.forEach((raw: unknown, index) => {
    const id = (raw as { id?: unknown } | null)?.id;
    const row = parseServerConversation(raw);
    if (typeof id === 'string' && id !== '') page.ids.push(id);
    if (row === null) {
      const where = typeof id === 'string' ? `row ${JSON.stringify(id)}` : `row ${index}`;
      report(malformed(`Skipped a malformed ${where}: ${conversationProblem(raw)}`));
    } else {
      page.rows.push(row);
    }
    page.lastId = typeof id === 'string' && id !== '' ? id : null;
  });
  return page;
}

function tables(db: StoreDatabase) {
  return [db.conversations, db.outbox, db.bases];
}

/**
 * Rewrites a record's unsent entries so that, once its in-flight entry (if any) lands,
 * the server ends up at `desired`.
 */
async function requeue(
  context: SyncContext,
  server: Conversation,
  entries: OutboxEntry[],
  desired: Conversation,
): Promise<void> {
  const frozen = entries.filter((entry) => entry.sentAt !== null);
  const unsent = entries.filter((entry) => entry.sentAt === null);
  await context.db.outbox.bulkDelete(unsent.map((entry) => entry.seq as number));
  const afterFrozen = materialize(server, frozen) ?? server;
  const patch = diff(afterFrozen, desired);
  if (Object.keys(patch).length > 0) {
    await context.db.outbox.add(newEntry(server.id, { op: 'update', patch }, context.clockMs()));
  } else if (frozen.length === 0) {
    await context.db.bases.delete(server.id);
  }
}

/**
 * How many creates left without their answer being stored yet. A create is queued on its
 * temporary id until the answer renames it, so an index range finds them without a scan.
 */
async function sentCreates(db: StoreDatabase): Promise<number> {
  const queuedOnTemporary = await db.outbox
    .where('recordId')
    .startsWith(TEMPORARY_PREFIX)
    .toArray();
  return queuedOnTemporary.filter((entry) => entry.op === 'create' && entry.sentAt !== null).length;
}

/** Reconciles one page in one transaction; returns the conflicts to report. */
async function reconcilePage(context: SyncContext, rows: Conversation[]) {
  const { db } = context;
  return db.transaction('rw', tables(db), async () => {
    const ids = rows.map((row) => row.id);
    // Most pages touch no record with queued writes: one cheap count spares two lookups.
    const [locals, outboxSize] = await Promise.all([
      db.conversations.bulkGet(ids),
      db.outbox.count(),
    ]);
    const [queued, bases, uncertainCreates] =
      outboxSize === 0
        ? [[], [], 0]
        : await Promise.all([
            // An index lists equal keys in primary-key order: entries come sorted by seq.
            db.outbox.where('recordId').anyOf(ids).toArray(),
            db.bases.bulkGet(ids),
            sentCreates(db),
          ]);
    const entriesById = new Map<string, OutboxEntry[]>();
    for (const entry of queued) {
      const list = entriesById.get(entry.recordId) ?? [];
      list.push(entry);
      entriesById.set(entry.recordId, list);
    }
    const writes = [];
    const conflicts: Conflict[] = [];
    let changed = 0;
    for (const [index, server] of rows.entries()) {
      const stored = locals[index];
      const local = stored === undefined ? undefined : pickConversation(stored);
      const entries = entriesById.get(server.id);
      if (entries === undefined) {
        // A create that left without an answer may be this very row under its server id:
        // adding it now would show the conversation twice until the create is settled.
        // New rows wait for the next pull once every create has its answer.
        if (local === undefined && uncertainCreates > 0) continue;
        if (!sameConversation(local, server)) {
          writes.push(toStored(server));
          changed += 1;
        }
        continue;
      }
      // The record has local changes the server has not seen: rebase them.
      const base = bases[index]?.row ?? server;
      await db.bases.put({ id: server.id, row: server });
      if (entries.some((entry) => entry.op === 'delete')) continue; // Stays deleted here.
      const patches = entries.flatMap((entry) => (entry.op === 'update' ? [entry.patch] : []));
      const result = rebase(base, server, mergePatches(patches), context.resolveConflict);
      if (result.resolvedPending !== null) await requeue(context, server, entries, result.row);
      if (!sameConversation(local, result.row)) {
        writes.push(toStored(result.row));
        changed += 1;
      }
      if (result.fields.length > 0) {
        conflicts.push({
          id: server.id,
          kind: 'field',
          fields: result.fields,
          server,
          local: local ?? null,
          resolved: result.row,
        });
      }
    }
    if (writes.length > 0) await db.conversations.bulkPut(writes);
    return { conflicts, changed };
  });
}

/**
 * Records that a complete listing did not name but that carry local updates are asked
 * for one by one before anything is dropped: a row whose sort position moved during the
 * walk (another device touched it) can slip between pages, and dropping it would lose
 * the user's pending changes. Returns the ids that still exist (and reconciles them).
 */
async function confirmMissing(context: SyncContext, missing: string[]): Promise<Set<string>> {
  const alive = new Set<string>();
  const queued = await context.db.outbox.where('recordId').anyOf(missing).toArray();
  const withUpdates = new Set(
    queued.filter((entry) => entry.op === 'update').map((entry) => entry.recordId),
  );
  for (const id of withUpdates) {
    try {
      const row = parseServerConversation((await context.api.retrieve(id)).body);
      alive.add(id); // Exists (a malformed reply is not proof of deletion either).
      if (row !== null) {
        const { conflicts } = await reconcilePage(context, [row]);
        for (const conflict of conflicts) context.events.conflict(conflict);
      }
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) alive.add(id);
    }
  }
  return alive;
}

/** Removes local records that a complete listing did not name. */
async function removeMissing(context: SyncContext, seen: ReadonlySet<string>) {
  const { db } = context;
  const localIds = (await db.conversations.toCollection().primaryKeys()) as string[];
  const unlisted = localIds.filter((id) => !seen.has(id));
  const alive = unlisted.length === 0 ? new Set() : await confirmMissing(context, unlisted);
  const missing = unlisted.filter((id) => !alive.has(id));
  const conflicts: Conflict[] = [];
  let removed = 0;
  for (let start = 0; start < missing.length; start += 500) {
    const chunk = missing.slice(start, start + 500);
    await db.transaction('rw', tables(db), async () => {
      const [stored, queued] = await Promise.all([
        db.conversations.bulkGet(chunk),
        db.outbox.where('recordId').anyOf(chunk).toArray(),
      ]);
      for (const [index, id] of chunk.entries()) {
        const row = stored[index];
        if (row === undefined) continue; // Removed meanwhile.
        const entries = queued.filter((entry) => entry.recordId === id);
        if (entries.some((entry) => entry.op === 'create')) continue; // Not on the server yet.
        const updates = entries.flatMap((entry) => (entry.op === 'update' ? [entry.patch] : []));
        if (updates.length > 0) {
          conflicts.push({
            id,
            kind: 'deleted',
            fields: Object.keys(mergePatches(updates)) as Conflict['fields'],
            server: null,
            local: pickConversation(row),
            resolved: null,
          });
        }
        await db.outbox.bulkDelete(entries.map((entry) => entry.seq as number));
        await db.bases.delete(id);
        await db.conversations.delete(id);
        removed += 1;
      }
    });
  }
  return { conflicts, removed };
}

export async function pull(context: SyncContext): Promise<PullResult> {
  const result: PullResult = {
    pulled: 0,
    removed: 0,
    conflicts: 0,
    skipped: 0,
    complete: false,
    error: null,
  };
  const report = (error: Error) => {
    result.skipped += 1;
    context.events.problem(error);
  };
  const seen = new Set<string>();
  let cursor: string | undefined;
  try {
    for (;;) {
      const reply = await context.api.list({ limit: context.pageSize, starting_after: cursor });
      const page = parsePage(reply.body, report);
      if (page === null) {
        const error = malformed('Skipped a malformed list page: expected { has_more, data }');
        report(error);
        result.error = error;
        return result;
      }
      for (const id of page.ids) seen.add(id);
      const { conflicts, changed } = await reconcilePage(context, page.rows);
      result.pulled += changed;
      result.conflicts += conflicts.length;
      for (const conflict of conflicts) context.events.conflict(conflict);
      if (!page.hasMore) break;
      if (page.lastId === null || page.lastId === cursor) {
        result.error = malformed('The list page gave no usable cursor; the walk stopped');
        return result;
      }
      cursor = page.lastId;
    }
  } catch (error) {
    result.error = toStorageError(error, 'pull');
    return result;
  }
  result.complete = true;
  const { conflicts, removed } = await removeMissing(context, seen);
  result.removed = removed;
  result.conflicts += conflicts.length;
  for (const conflict of conflicts) context.events.conflict(conflict);
  return result;
}
