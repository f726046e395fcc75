/**
 * Fault injection of the reference server: latency, being offline, error statuses for
 * the next requests, replies lost after the write was applied, malformed list rows.
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
  /** Clears every fault. */
  clear(): void;
}

/** The server's side of the knobs: which fault applies to a request. */
export class FaultState implements Faults {
  latencyMs = 0;
  offline = false;
  errorRate = 0;
  #fail: FailRule[] = [];
  #lose: { remaining: number; methods: string[] }[] = [];
  #malform: { remaining: number; row: MalformedRow }[] = [];

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

  clear(): void {
    this.latencyMs = 0;
    this.offline = false;
    this.errorRate = 0;
    this.#fail = [];
    this.#lose = [];
    this.#malform = [];
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
