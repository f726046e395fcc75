/**
 * The Conversations API as one Request → Response function over a
 * {@link ConversationTable}: bearer auth, body parsing, the five endpoints, and the
 * documented error answers (404, 405 too). Plain web APIs only, so it runs in a browser
 * page or a service worker as well as in Node. Faults, recording and Idempotency-Key
 * replay live around it, in `exchange.ts`.
 */
import type { Conversation } from '../model/conversation.js';
import { errorResponse, RequestError } from './errors.js';
import { parseBody, parseCreate, parseListQuery, parseUpdate } from './input.js';
import { type ConversationTable, CursorError } from './table.js';

/** What the routes need from the server. */
export interface RoutesContext {
  table: ConversationTable;
  /** Whether an Authorization header carries the accepted token (read on every request). */
  isAuthorized: (authorization: string | undefined) => boolean;
  /** A new conversation with defaults, a fresh id and `created_at` = now. */
  newConversation: (fields: Pick<Conversation, 'contact_id' | 'group_id'>) => Conversation;
}

/** The API's routes as one function. */
export type Routes = (request: Request) => Promise<Response>;

const COLLECTION = '/v1/conversations';

/** Which resource a path names: the collection, one conversation, or nothing (404). */
type Target = { kind: 'collection' } | { kind: 'conversation'; id: string } | null;

function targetOf(pathname: string): Target {
  if (pathname === COLLECTION) return { kind: 'collection' };
  if (!pathname.startsWith(`${COLLECTION}/`)) return null;
  const segment = pathname.slice(COLLECTION.length + 1);
  if (segment === '' || segment.includes('/')) return null;
  try {
    return { kind: 'conversation', id: decodeURIComponent(segment) };
  } catch {
    // A malformed escape is not an error of the client's making worth a 400: keep it raw.
    return { kind: 'conversation', id: segment };
  }
}

const json = (value: unknown) =>
  new Response(JSON.stringify(value), { headers: { 'content-type': 'application/json' } });

/** Builds the API's routes. Creates answer 200, deletes `{ id, deleted: true }`. */
export function createRoutes({ table, isAuthorized, newConversation }: RoutesContext): Routes {
  const existing = (id: string): Conversation => {
    const row = table.get(id);
    if (row === undefined) throw new RequestError(404, `No such conversation: ${id}`);
    return row;
  };

  const dispatch = async (request: Request, method: string): Promise<Response> => {
    // Auth comes before routing: an unknown path without a token is a 401, not a 404.
    if (!isAuthorized(request.headers.get('authorization') ?? undefined)) {
      throw new RequestError(401, 'Invalid or missing bearer token');
    }
    const body = parseBody(await request.text(), request.headers.get('content-type') ?? '');
    const url = new URL(request.url);
    const target = targetOf(url.pathname);
    if (target === null) return errorResponse(404, 'Not found');

    if (target.kind === 'collection') {
      if (method === 'GET') {
        try {
          return json(table.list(parseListQuery(url.searchParams)));
        } catch (error) {
          if (error instanceof CursorError) throw new RequestError(400, error.message);
          throw error;
        }
      }
      // The docs show the created object without a status; 200 keeps clients simple.
      if (method === 'POST') {
        const row = newConversation(parseCreate(body));
        table.put(row);
        return json(row);
      }
    } else {
      if (method === 'GET') return json(existing(target.id));
      if (method === 'PUT') {
        const patch = parseUpdate(body);
        const row = { ...existing(target.id), ...patch };
        table.put(row);
        return json(row);
      }
      // The docs show no answer for a delete; this one says what happened, like Stripe's.
      if (method === 'DELETE') {
        const id = existing(target.id).id;
        table.delete(id);
        return json({ id, deleted: true });
      }
    }
    throw new RequestError(405, 'Method not allowed');
  };

  const answer = async (request: Request, method: string): Promise<Response> => {
    try {
      return await dispatch(request, method);
    } catch (error) {
      return error instanceof RequestError
        ? errorResponse(error.status, error.message)
        : errorResponse(500, 'Internal error');
    }
  };

  return async (request) => {
    const method = request.method.toUpperCase();
    if (method !== 'HEAD') return answer(request, method);
    // HEAD is GET without the body, as HTTP servers answer it.
    const response = await answer(request, 'GET');
    return new Response(null, { status: response.status, headers: response.headers });
  };
}
