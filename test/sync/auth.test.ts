/** 401: one more getToken, then a pause until the app resumes sync. */
import { describe, expect, it } from 'vitest';
import { AuthError } from '../../src/index.js';
import { A, B, C, syncedSuite, TOKEN } from '../fixtures.js';

/** The store under test (`t.store`) and its harness (`t.h`); closed after each test. */
const { t, synced } = syncedSuite();

describe('authentication', () => {
  it('asks getToken again once after a 401, then pauses with AuthError', async () => {
    let calls = 0;
    let token = TOKEN;
    await synced(undefined, {
      getToken: () => {
        calls += 1;
        return token;
      },
    });
    await t.store.conversations.update(A.id, { is_muted: true });
    token = 'revoked';
    calls = 0;
    const summary = await t.store.sync.now();
    expect(summary.state).toBe('paused');
    expect(summary.error).toBeInstanceOf(AuthError);
    expect(calls).toBe(2);
    expect(await t.store.conversations.retrieve(A.id)).toMatchObject({ is_muted: true });
    expect((await t.h.dump()).outbox).toHaveLength(1);
  });

  it('shares one token refresh between concurrent requests that hit 401', async () => {
    let expired = false;
    let calls = 0;
    // Hold the three PUTs until all of them have left, so that all three hit 401 together.
    let held: (() => void)[] = [];
    let barrier = false;
    await synced([A, B, C], {
      getToken: () => {
        calls += 1;
        // The first call of each of the three requests hands out an expired token.
        return expired && calls <= 3 ? 'expired' : TOKEN;
      },
      fetch: async (input, init) => {
        const method = input instanceof Request ? input.method : init?.method;
        if (barrier && method?.toUpperCase() === 'PUT') {
          await new Promise<void>((resolve) => {
            held.push(resolve);
            if (held.length === 3) {
              barrier = false;
              for (const release of held) release();
              held = [];
            }
          });
        }
        return t.h.network.fetch(input, init);
      },
    });
    barrier = true;
    expired = true;
    calls = 0;
    for (const row of [A, B, C]) await t.store.conversations.update(row.id, { is_muted: true });
    const summary = await t.store.sync.now();
    expect(summary.pushed).toBe(3);
    // Three first attempts, one shared refresh, then the walk's one page and the head read.
    expect(calls).toBe(3 + 1 + 2);
    expect(t.h.server.all().every((row) => row.is_muted)).toBe(true);
  });

  it('resumes after a pause when sync.now() is called with a valid token', async () => {
    let token = TOKEN;
    await synced(undefined, { getToken: () => token });
    await t.store.conversations.update(A.id, { is_muted: true });
    token = 'revoked';
    expect((await t.store.sync.now()).state).toBe('paused');
    token = TOKEN;
    expect((await t.store.sync.now()).state).toBe('idle');
    expect(t.h.server.get(A.id)?.is_muted).toBe(true);
  });
});
