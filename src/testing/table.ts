/**
 * The reference server's data: conversations in memory, and the API's list semantics
 * (DESIGN section 3) written independently of the store's index-based queries, so that
 * the parity tests compare two implementations rather than one with itself.
 */
import type { Conversation, ListParams } from '../model/conversation.js';

/** Filters and cursors of `GET /v1/conversations`, already validated (limit filled in). */
export type ListQuery = ListParams & { limit: number };

/** A cursor id that is not in the filtered list. */
export class CursorError extends Error {
  constructor(readonly parameter: 'starting_after' | 'ending_before') {
    super(`${parameter} is not a conversation of this list`);
  }
}

/**
 * The list order of DESIGN section 3, as a sort comparator: `last_active_at` descending
 * (null last), then `created_at` descending, then `id` ascending by plain string comparison.
 */
export function compareConversations(a: Conversation, b: Conversation): number {
  if (a.last_active_at !== b.last_active_at) {
    if (a.last_active_at === null) return 1;
    if (b.last_active_at === null) return -1;
    return b.last_active_at - a.last_active_at;
  }
  if (a.created_at !== b.created_at) return b.created_at - a.created_at;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function matches(row: Conversation, query: ListQuery): boolean {
  if (query.muted !== undefined && row.is_muted !== query.muted) return false;
  if (query.pinned !== undefined && row.is_pinned !== query.pinned) return false;
  if (query.archived !== undefined && (row.archived_at !== null) !== query.archived) return false;
  if (query.group_id !== undefined && row.group_id !== query.group_id) return false;
  return true;
}

/** The conversations in memory, with the API's list semantics. Hands out copies only. */
export class ConversationTable {
  readonly #rows = new Map<string, Conversation>();
  /** The rows in list order, rebuilt lazily after a change. */
  #sorted: Conversation[] | null = null;
  #positions = new Map<string, number>();

  constructor(rows: readonly Conversation[] = []) {
    for (const row of rows) this.#rows.set(row.id, { ...row });
  }

  get(id: string): Conversation | undefined {
    const row = this.#rows.get(id);
    return row === undefined ? undefined : { ...row };
  }

  put(row: Conversation): void {
    this.#rows.set(row.id, { ...row });
    this.#sorted = null;
  }

  delete(id: string): boolean {
    this.#sorted = null;
    return this.#rows.delete(id);
  }

  clear(): void {
    this.#rows.clear();
    this.#sorted = null;
  }

  /** Every row, in list order. */
  all(): Conversation[] {
    return this.#ordered().map((row) => ({ ...row }));
  }

  #ordered(): Conversation[] {
    if (this.#sorted === null) {
      this.#sorted = [...this.#rows.values()].sort(compareConversations);
      this.#positions = new Map(this.#sorted.map((row, index) => [row.id, index]));
    }
    return this.#sorted;
  }

  /** One page of the filtered list. Walks from the cursor, never the whole table twice. */
  list(query: ListQuery): { has_more: boolean; data: Conversation[] } {
    const rows = this.#ordered();
    const cursorName = query.starting_after !== undefined ? 'starting_after' : 'ending_before';
    const cursorId = query[cursorName];
    let start = 0;
    let step = 1;
    if (cursorId !== undefined) {
      const position = this.#positions.get(cursorId);
      const cursorRow = position === undefined ? undefined : rows[position];
      if (position === undefined || cursorRow === undefined || !matches(cursorRow, query)) {
        throw new CursorError(cursorName);
      }
      start = cursorName === 'starting_after' ? position + 1 : position - 1;
      step = cursorName === 'starting_after' ? 1 : -1;
    }
    const found: Conversation[] = [];
    for (let i = start; i >= 0 && i < rows.length && found.length <= query.limit; i += step) {
      const row = rows[i] as Conversation;
      if (matches(row, query)) found.push(row);
    }
    const has_more = found.length > query.limit;
    const data = found.slice(0, query.limit).map((row) => ({ ...row }));
    if (step === -1) data.reverse(); // An ending_before page keeps the list's order.
    return { has_more, data };
  }
}
