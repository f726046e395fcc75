/**
 * Ids: temporary ids of local creates, and the aliases that map a temporary id to the
 * server's id once the create is acknowledged. The only module that touches `aliases`.
 */
import type { StoreDatabase } from './schema.js';

/** Temporary ids carry this prefix; only they can have been replaced by a server id. */
export const TEMPORARY_PREFIX = 'tmp_';

/** The characters of the API's ids (and of ours). */
export const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A random id of `length` characters from {@link ID_ALPHABET}. Uses `getRandomValues`,
 * which, unlike `randomUUID`, also exists outside secure contexts (plain-http LAN pages).
 */
export function randomId(length = 16, prefix = ''): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let id = prefix;
  for (const byte of bytes) id += ID_ALPHABET[byte % ID_ALPHABET.length];
  return id;
}

/** A fresh `tmp_` id for a local create. */
export const temporaryId = (): string => randomId(16, TEMPORARY_PREFIX);

/** A fresh Idempotency-Key (128 bits of randomness). */
export const idempotencyKey = (): string => randomId(22);

export const isTemporary = (id: string): boolean => id.startsWith(TEMPORARY_PREFIX);

/** Resolves a temporary id the server has since replaced. Inside a transaction on `aliases`. */
export async function resolveId(db: StoreDatabase, id: string): Promise<string> {
  if (!isTemporary(id)) return id; // Saves a read on every server id.
  const alias = await db.aliases.get(id);
  return alias?.to ?? id;
}

/** Records that the server replaced `from` with `to`. Inside a transaction on `aliases`. */
export function addAlias(db: StoreDatabase, from: string, to: string): Promise<unknown> {
  return db.aliases.put({ from, to });
}
