/**
 * When the server last confirmed each record (a page listed it, a reply returned it, a
 * GET read it), kept in memory by the store that runs rounds. An update to a record not
 * confirmed within `freshMs` is checked against the server before it is sent; after a
 * reload nothing is confirmed until the first pull, so the first writes may cost a GET.
 */
import { clock } from '../platform/clock.js';

export class Confirmations {
  readonly #at = new Map<string, number>();

  confirm(ids: Iterable<string>, at = clock().now()): void {
    for (const id of ids) this.#at.set(id, at);
  }

  /** Whether `id` was confirmed within the last `freshMs`. */
  isFresh(id: string, freshMs: number): boolean {
    const at = this.#at.get(id);
    return at !== undefined && clock().now() - at <= freshMs;
  }
}
