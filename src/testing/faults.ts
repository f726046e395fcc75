/**
 * Fault injection of the reference server: latency, being offline, error statuses for
 * the next requests, replies lost after the write was applied, malformed list rows, and
 * a table that moves while a client reads it page by page (`onList`).
 * This file holds the knobs and decides which fault a request meets; `exchange.ts`
 * applies them.
 */
import type { MalformedRow } from './malform.js';

interface FailRule {
  status: number;
  remaining: number;
  methods: string[] | null;
  retryAfter: number | string | undefined;
  type: string | undefined;
  message: string | undefined;
}

/**
 * One list request (`GET /v1/conversations`) as an {@link Faults.onList} hook sees it.
 */
export interface ListCall {
  /**
   * Which list request this is for this hook: 0 for the first one it sees, then 1, 2, …
   * Numbered as the requests arrive, so two pages read at once get distinct numbers.
   */
  index: number;
  /** The request's query parameters as sent (`limit`, `starting_after`, filters…). A copy. */
  query: Readonly<Record<string, string>>;
  /**
   * `when: 'after'` hooks only: the status answered, and for a 200 the page's ids in list
   * order and its `has_more`. `undefined` for `'before'` hooks.
   */
  answer?: ListAnswer;
}

/** What a list request was answered (for `when: 'after'` hooks). */
export interface ListAnswer {
  /** The HTTP status of the answer. */
  status: number;
  /** For a 200, the page: its ids in list order and its `has_more`; else null. */
  page: ListAnswerPage | null;
}

/** The page a list request was answered with. */
export interface ListAnswerPage {
  /** The ids of the page's rows, in list order. */
  ids: string[];
  /** Whether rows follow the page. */
  has_more: boolean;
}

/** What {@link Faults.onList} calls; it may be async: the answer waits for it. */
export type ListHook = (call: ListCall) => void | Promise<void>;

/** Options of {@link Faults.onList}. */
export interface ListHookOptions {
  /**
   * `'before'` (default): the hook runs before the page is computed, so what it changes
   * shows in this very answer (a `starting_after` row it deletes gets the documented 400
   * `invalid_request`). `'after'`: it runs once the page is computed and before it is
   * sent, so the client receives a page the table has already moved away from.
   */
  when?: 'before' | 'after';
  /** How many list requests the hook sees before it is removed (default: no limit). */
  count?: number;
}

/** The fault knobs of a reference server (`server.faults`). */
export interface Faults {
  /** Milliseconds added before every answer. */
  latencyMs: number;
  /** While true, every request fails as a fetch without network does (nothing is applied). */
  offline: boolean;
  /**
   * Probability (0..1) that a request answers 500 `api_error` without being applied
   * (drawn with the server's `random` option).
   */
  errorRate: number;
  /**
   * The next `count` (default 1) requests of `methods` (default: every method) answer `status`
   * with the documented error body (`type` defaults to `api_error` for 5xx and
   * `invalid_request` otherwise), and `Retry-After` when given. The write is not
   * applied and its answer is not remembered for Idempotency-Key replay.
   */
  failNext(
    status: number,
    count?: number,
    options?: { retryAfter?: number | string; methods?: string[]; type?: string; message?: string },
  ): void;
  /**
   * The next `count` (default 1) requests of `methods` (default: POST, PUT, DELETE) are
   * applied, their answer is remembered for Idempotency-Key replay, and then the client
   * sees a network failure: a `TypeError` from the in-process fetch, a destroyed
   * connection over HTTP.
   */
  loseNextReply(count?: number, options?: { methods?: string[] }): void;
  /**
   * The next `count` (default 1) successful list answers carry one malformed row
   * (`row`, default `'wrong-type'`: `is_muted: "yes"`; `'missing-field'`: no
   * `created_at`; `'proto'`: an extra row with an own `__proto__` key, which a client must
   * drop without polluting anything) or, for
   * `'not-json'`, a body that is not JSON.
   */
  malformNextList(count?: number, options?: { row?: MalformedRow }): void;
  /**
   * A server that moves while a client reads: `hook` is called for each list request
   * (authorized `GET /v1/conversations` that meets no other fault) and may change the
   * table through the server's own methods (`insert`, `update`, `remove`), as other
   * devices would between, or while, the client reads its pages. For example, a
   * conversation that gets a new message jumps to the top, onto a page already read:
   *
   * ```ts
   * server.faults.onList(({ index }) => {
   *   if (index === 1) server.update(id, { last_active_at: now }); // before page 2
   * }, { count: 2 });
   * ```
   *
   * Deleting the row a request's `starting_after` names (`call.query.starting_after`)
   * in a `'before'` hook makes that request answer 400 `invalid_request`; inserting rows
   * with the `last_active_at` of the cursor row puts them on either side of a page edge,
   * by the list order's tie-breaks (`created_at` descending, then `id`). Hooks run in the
   * order they were added, each awaited before the answer goes on. A hook that throws (or
   * rejects) fails that request with a 500 `api_error` whose message carries the error's.
   * Returns a function that removes the hook; `clear()` removes every hook.
   */
  onList(hook: ListHook, options?: ListHookOptions): () => void;
  /** Clears every fault. */
  clear(): void;
}

interface ListHookEntry {
  hook: ListHook;
  when: 'before' | 'after';
  remaining: number;
  /** List requests seen so far: the next call's `index`. */
  seen: number;
}

/** The server's side of the knobs: which fault applies to a request. */
export class FaultState implements Faults {
  latencyMs = 0;
  offline = false;
  errorRate = 0;
  #fail: FailRule[] = [];
  #lose: { remaining: number; methods: string[] }[] = [];
  #malform: { remaining: number; row: MalformedRow }[] = [];
  #listHooks: ListHookEntry[] = [];

  failNext(
    status: number,
    count = 1,
    options: {
      retryAfter?: number | string;
      methods?: string[];
      type?: string;
      message?: string;
    } = {},
  ): void {
    if (count < 1) return;
    this.#fail.push({
      status,
      remaining: count,
      methods: options.methods?.map((method) => method.toUpperCase()) ?? null,
      retryAfter: options.retryAfter,
      type: options.type,
      message: options.message,
    });
  }

  loseNextReply(count = 1, options: { methods?: string[] } = {}): void {
    if (count < 1) return;
    const methods = (options.methods ?? ['POST', 'PUT', 'DELETE']).map((m) => m.toUpperCase());
    this.#lose.push({ remaining: count, methods });
  }

  malformNextList(count = 1, options: { row?: MalformedRow } = {}): void {
    if (count < 1) return;
    this.#malform.push({ remaining: count, row: options.row ?? 'wrong-type' });
  }

  onList(hook: ListHook, options: ListHookOptions = {}): () => void {
    const when = options.when ?? 'before';
    if (when !== 'before' && when !== 'after') {
      throw new TypeError(`onList: when must be 'before' or 'after', not ${String(when)}`);
    }
    const count = options.count ?? Number.POSITIVE_INFINITY;
    if (!(count >= 1)) return () => {};
    const entry: ListHookEntry = { hook, when, remaining: count, seen: 0 };
    this.#listHooks.push(entry);
    return () => this.#removeHook(entry);
  }

  clear(): void {
    this.latencyMs = 0;
    this.offline = false;
    this.errorRate = 0;
    this.#fail = [];
    this.#lose = [];
    this.#malform = [];
    this.#listHooks = [];
  }

  #removeHook(entry: ListHookEntry): void {
    const at = this.#listHooks.indexOf(entry);
    if (at !== -1) this.#listHooks.splice(at, 1);
  }

  /** Whether any list hook runs at `when` (so the exchange reads the page only if needed). */
  hasListHooks(when: 'before' | 'after'): boolean {
    return this.#listHooks.some((entry) => entry.when === when);
  }

  /**
   * Runs the list hooks of `when` for one list request, in the order they were added.
   * Every hook gets its number at once (before any is awaited), so concurrent requests are
   * numbered in their order of arrival. Rejects with the first hook's error.
   */
  async runListHooks(
    when: 'before' | 'after',
    query: Record<string, string>,
    answer?: ListCall['answer'],
  ): Promise<void> {
    const calls: [ListHook, ListCall][] = [];
    for (const entry of [...this.#listHooks]) {
      if (entry.when !== when) continue;
      const call: ListCall = { index: entry.seen, query: Object.freeze({ ...query }) };
      if (answer !== undefined) call.answer = answer;
      entry.seen += 1;
      entry.remaining -= 1;
      if (entry.remaining <= 0) this.#removeHook(entry);
      calls.push([entry.hook, call]);
    }
    for (const [hook, call] of calls) await hook(call);
  }

  /** The injected failure for this request, if any (consumes one). */
  takeFailure(method: string): Omit<FailRule, 'remaining' | 'methods'> | null {
    const rule = this.#fail.find((r) => r.methods === null || r.methods.includes(method));
    if (rule === undefined) return null;
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.#fail.splice(this.#fail.indexOf(rule), 1);
    return rule;
  }

  /** Whether this request's reply is lost (consumes one). */
  takeLostReply(method: string): boolean {
    const rule = this.#lose.find((r) => r.methods.includes(method));
    if (rule === undefined) return false;
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.#lose.splice(this.#lose.indexOf(rule), 1);
    return true;
  }

  /** How to break this list answer, if at all (consumes one). */
  takeMalformed(): MalformedRow | null {
    const rule = this.#malform[0];
    if (rule === undefined) return null;
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.#malform.shift();
    return rule.row;
  }
}
