/**
 * Shared set-up of the reference server tests: headers and a typed list call. Rows come from
 * `conversation()` in ../fixtures.ts, the one row factory.
 */
import type { Conversation } from '../../src/model/conversation.js';
import type { ReferenceServer } from '../../src/testing/index.js';

export const TOKEN = 'test-token';
export const ORIGIN = 'https://api.protocol.chat';
export const auth = { authorization: `Bearer ${TOKEN}` };
export const form = { ...auth, 'content-type': 'application/x-www-form-urlencoded' };
export const json = { ...auth, 'content-type': 'application/json' };

/** The example conversation of the API's documentation (conversations.txt), written out by hand. */
export const DOC_EXAMPLE: Conversation = {
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
};

export interface ListAnswer {
  status: number;
  body: { has_more: boolean; data: Conversation[]; type?: string; message?: string };
}

/** `GET /v1/conversations?{query}` in-process, with the default token. */
export async function list(server: ReferenceServer, query = ''): Promise<ListAnswer> {
  const response = await server.fetch(`${ORIGIN}/v1/conversations?${query}`, { headers: auth });
  return { status: response.status, body: (await response.json()) as ListAnswer['body'] };
}
