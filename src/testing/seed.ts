/**
 * Seed data: the API documentation's example conversations, and a deterministic
 * generator of varied conversations for tests and benchmarks.
 */

import type { Conversation } from '../model/conversation.js';
import { ID_ALPHABET } from '../storage/ids.js';

/**
 * The documentation's example conversation (`xgQQXg3hrtjh7AvZ`, exactly as documented)
 * and four more covering every filter: pinned, muted, archived, a group, and a null
 * `last_active_at`. Frozen, rows included, so that no test can change another's seed.
 */
export const SEED_CONVERSATIONS: readonly Conversation[] = Object.freeze(
  (
    [
      {
        id: 'xgQQXg3hrtjh7AvZ',
        contact_id: 'WAz8eIbvDR60rouK',
        group_id: null,
        pinned_message_id: null,
        is_pinned: false,
        is_muted: false,
        last_active_at: 705103200,
        last_opened_at: 705103200,
        created_at: 692233200,
        archived_at: null,
      },
      {
        id: 'hSIhXBhNe8X1d8Et',
        contact_id: 'H3d0pWGDb7Ys2mZ1',
        group_id: null,
        pinned_message_id: 'Nf3LkqP0a9Rz7Tw2',
        is_pinned: true,
        is_muted: false,
        // Less recent than the example, so a list starts as the docs' list example does.
        last_active_at: 705000000,
        last_opened_at: 704990000,
        created_at: 692300000,
        archived_at: null,
      },
      {
        id: 's4WycXedwhQrEFuM',
        contact_id: null,
        group_id: 'aBk9sW3cQz8LmN2p',
        pinned_message_id: null,
        is_pinned: false,
        is_muted: true,
        last_active_at: 704000000,
        last_opened_at: null,
        created_at: 690000000,
        archived_at: null,
      },
      {
        id: 'Tq7VbN2mXc4ZpL9k',
        contact_id: 'Ue6YhJ1kLp0OqR3s',
        group_id: null,
        pinned_message_id: null,
        is_pinned: false,
        is_muted: false,
        last_active_at: 600000000,
        last_opened_at: 600000000,
        created_at: 590000000,
        archived_at: 650000000,
      },
      {
        id: 'Zr5DfG8hJk2LmN4q',
        contact_id: null,
        group_id: 'aBk9sW3cQz8LmN2p',
        pinned_message_id: null,
        is_pinned: true,
        is_muted: true,
        last_active_at: null,
        last_opened_at: null,
        created_at: 700000000,
        archived_at: null,
      },
    ] satisfies Conversation[]
  ).map((row) => Object.freeze(row)),
);

/** A small seeded PRNG (mulberry32), so generated data is the same on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` conversations with unique 16-character alphanumeric ids and a mix of every
 * filterable state: muted, pinned, archived, group (`group-0` … `group-{groups-1}`) or
 * contact, null `last_active_at`, and ties on `last_active_at` and `created_at` (so the
 * id tie-break matters). The same `seed` (default 1) gives the same rows on every run;
 * `startTime` (unix seconds, default 1_600_000_000) is the earliest `created_at`.
 */
export function generateConversations(
  count: number,
  options: { seed?: number; startTime?: number; groups?: number } = {},
): Conversation[] {
  const next = random(options.seed ?? 1);
  const start = options.startTime ?? 1_600_000_000;
  const groups = options.groups ?? 5;
  const id = () =>
    Array.from({ length: 16 }, () => ID_ALPHABET[Math.floor(next() * ID_ALPHABET.length)]).join('');
  const rows: Conversation[] = [];
  const seen = new Set<string>();
  while (rows.length < count) {
    const conversationId = id();
    if (seen.has(conversationId)) continue;
    seen.add(conversationId);
    const inGroup = next() < 0.3;
    // Coarse timestamps make ties common.
    const created = start + Math.floor(next() * 1000) * 60;
    const active = next() < 0.1 ? null : created + Math.floor(next() * 500) * 60;
    rows.push({
      id: conversationId,
      contact_id: inGroup ? null : id(),
      group_id: inGroup ? `group-${Math.floor(next() * groups)}` : null,
      pinned_message_id: next() < 0.1 ? id() : null,
      is_pinned: next() < 0.15,
      is_muted: next() < 0.25,
      last_active_at: active,
      last_opened_at: active !== null && next() < 0.7 ? active : null,
      created_at: created,
      archived_at: next() < 0.2 ? created + 3600 : null,
    });
  }
  return rows;
}
