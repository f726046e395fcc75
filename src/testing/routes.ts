/**
 * The Conversations API as Hono routes over a {@link ConversationTable}: bearer auth,
 * body parsing, the five endpoints, and the documented error answers (404, 405 too).
 * Faults, recording and Idempotency-Key replay live around it, in `exchange.ts`.
 */
import { Hono } from 'hono';
import type { Conversation } from '../model.js';
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

/** Builds the Hono app of the API. Creates answer 200, deletes `{ id, deleted: true }`. */
export function createRoutes({ table, isAuthorized, newConversation }: RoutesContext): Hono<{
  Variables: { body: Record<string, unknown> };
}> {
  const app = new Hono<{ Variables: { body: Record<string, unknown> } }>();
  const existing = (id: string): Conversation => {
    const row = table.get(id);
    if (row === undefined) throw new RequestError(404, `No such conversation: ${id}`);
    return row;
  };

  app.use('*', async (c, next) => {
    if (!isAuthorized(c.req.header('authorization'))) {
      throw new RequestError(401, 'Invalid or missing bearer token');
    }
    c.set('body', parseBody(await c.req.text(), c.req.header('content-type') ?? ''));
    await next();
  });

  app.get('/v1/conversations', (c) => {
    const query = parseListQuery(new URL(c.req.url).searchParams);
    try {
      return c.json(table.list(query));
    } catch (error) {
      if (error instanceof CursorError) throw new RequestError(400, error.message);
      throw error;
    }
  });
  // The docs show the created object without a status; 200 keeps clients simple.
  app.post('/v1/conversations', (c) => {
    const row = newConversation(parseCreate(c.get('body')));
    table.put(row);
    return c.json(row);
  });
  app.get('/v1/conversations/:id', (c) => c.json(existing(c.req.param('id'))));
  app.put('/v1/conversations/:id', (c) => {
    const patch = parseUpdate(c.get('body'));
    const row = { ...existing(c.req.param('id')), ...patch };
    table.put(row);
    return c.json(row);
  });
  // The docs show no answer for a delete; this one says what happened, like Stripe's.
  app.delete('/v1/conversations/:id', (c) => {
    const id = existing(c.req.param('id')).id;
    table.delete(id);
    return c.json({ id, deleted: true });
  });

  const notAllowed = () => {
    throw new RequestError(405, 'Method not allowed');
  };
  app.all('/v1/conversations', notAllowed);
  app.all('/v1/conversations/:id', notAllowed);
  app.notFound(() => errorResponse(404, 'Not found'));
  app.onError((error) =>
    error instanceof RequestError
      ? errorResponse(error.status, error.message)
      : errorResponse(500, 'Internal error'),
  );
  return app;
}
