/**
 * Idempotency-Key replay: the first answer to a write is remembered per key, so a
 * retry of a request whose reply was lost gets the same answer without applying again.
 */

/** A remembered answer and the request it answered. */
interface CachedAnswer {
  /** Method, path and raw body: a key reused for anything else is refused. */
  fingerprint: string;
  status: number;
  body: string;
}

/** What a write with an Idempotency-Key finds in the cache. */
export type Lookup =
  | { kind: 'new' }
  | { kind: 'replay'; status: number; body: string }
  | { kind: 'mismatch' };

/** The answers remembered per Idempotency-Key. */
export class IdempotencyCache {
  readonly #answers = new Map<string, CachedAnswer>();

  lookup(key: string, fingerprint: string): Lookup {
    const cached = this.#answers.get(key);
    if (cached === undefined) return { kind: 'new' };
    if (cached.fingerprint !== fingerprint) return { kind: 'mismatch' };
    return { kind: 'replay', status: cached.status, body: cached.body };
  }

  /**
   * Remembers an answer. 5xx and 429 are not remembered: nothing was applied, and the
   * client must be able to retry them for real.
   */
  remember(key: string, fingerprint: string, status: number, body: string): void {
    if (status >= 500 || status === 429) return;
    this.#answers.set(key, { fingerprint, status, body });
  }

  clear(): void {
    this.#answers.clear();
  }
}

/** What a key is bound to: the same key must come back with the same request. */
export function fingerprintOf(method: string, path: string, body: string): string {
  return `${method} ${path}\n${body}`;
}
