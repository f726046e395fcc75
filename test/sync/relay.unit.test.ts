/**
 * The relay between tabs, one Relay per tab on the manual platform's channel: who answers a
 * newcomer, what a tab shows when it is offline or paused, and that a closed tab is silent.
 */
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/index.js';
import { Relay } from '../../src/sync/relay.js';
import { StatusStore } from '../../src/sync/status.js';
import { createManualPlatform } from '../../src/testing/index.js';

type Manual = ReturnType<typeof createManualPlatform>;

/** A tab: its relay, its status and what its engine was asked to do. */
function tab(platform: Manual, options: { online?: boolean; paused?: boolean } = {}) {
  const status = new StatusStore();
  const tabPlatform =
    options.online === undefined ? platform : { ...platform, isOnline: () => options.online };
  const state = { paused: options.paused ?? false, plans: 0 };
  const relay = new Relay(tabPlatform as Manual, 'relay-test', status, {
    paused: () => state.paused,
    setPaused: (paused) => {
      state.paused = paused;
    },
    announce: async (...actions) => status.dispatch(...actions),
    plan: () => {
      state.plans++;
    },
    events: { idChange: () => {}, conflict: () => {}, rejection: () => {} },
  });
  return { relay, status, state, shown: () => status.status.state };
}

/** Lets the channel's messages (microtasks) and the states they apply settle. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('the relay between tabs', () => {
  it('shows offline in a tab opened while offline, and not in one opened online', () => {
    const platform = createManualPlatform({ tabs: true });
    expect(tab(platform).shown()).toBe('idle');
    platform.goOffline();
    expect(tab(platform).shown()).toBe('offline');
  });

  it('keeps showing an auth pause when the platform goes offline', () => {
    const platform = createManualPlatform({ tabs: true });
    const paused = tab(platform, { paused: true });
    paused.status.dispatch({ type: 'state', state: 'paused' });
    platform.goOffline();
    expect(paused.shown()).toBe('paused');
  });

  it('does not let a tab that has seen no round answer a newcomer', async () => {
    const platform = createManualPlatform({ tabs: true });
    const offline = tab(platform, { online: false });
    expect(offline.shown()).toBe('offline');
    const newcomer = tab(platform);
    await settle();
    expect(newcomer.shown()).toBe('idle');
  });

  it('lets a tab that was told of a round answer a newcomer after the round’s tab closed', async () => {
    const platform = createManualPlatform({ tabs: true });
    const runner = tab(platform);
    const listener = tab(platform);
    await settle();
    const error = new ApiError(503, 'api_error', 'Busy');
    runner.status.dispatch({ type: 'ended', state: 'error', error });
    runner.relay.publish();
    await settle();
    expect(listener.shown()).toBe('error');
    await runner.relay.close();
    const newcomer = tab(platform);
    await settle();
    expect(newcomer.shown()).toBe('error');
    expect(newcomer.status.status.lastError).toBeInstanceOf(ApiError);
  });

  it('does not let a closed tab answer a newcomer', async () => {
    const platform = createManualPlatform({ tabs: true });
    const closed = tab(platform);
    closed.status.dispatch({ type: 'ended', state: 'error', error: new Error('x') });
    closed.relay.publish();
    await closed.relay.close();
    const newcomer = tab(platform);
    await settle();
    expect(newcomer.shown()).toBe('idle');
  });

  it('ignores a resume in a tab that is not paused (no extra round)', async () => {
    const platform = createManualPlatform({ tabs: true });
    const leader = tab(platform);
    const follower = tab(platform);
    follower.relay.resume();
    await settle();
    expect(leader.state.plans).toBe(0);
  });

  it('shows an idle round as offline in a tab that is offline', async () => {
    const platform = createManualPlatform({ tabs: true });
    const offline = tab(platform, { online: false });
    const runner = tab(platform);
    runner.relay.publish();
    await settle();
    expect(offline.shown()).toBe('offline');
  });

  it('shows another tab’s idle round once back online, when that round ended before this tab heard the network come back', async () => {
    const platform = createManualPlatform({ tabs: true });
    let online = false;
    const backOnline: (() => void)[] = [];
    const late = tab({
      ...platform,
      isOnline: () => online,
      onOnline: (listener: () => void) => {
        backOnline.push(listener);
        return () => {};
      },
    } as Manual);
    const leader = tab(platform);
    expect(late.shown()).toBe('offline');
    // The leader heard the network first, ran its round and told every tab it is idle.
    leader.relay.publish();
    await settle();
    expect(late.shown()).toBe('offline');
    online = true;
    for (const listener of backOnline) listener();
    await settle();
    expect(late.shown()).toBe('idle');
  });

  it('shows a failed or paused round as it is in a tab that is offline', async () => {
    const platform = createManualPlatform({ tabs: true });
    const offline = tab(platform, { online: false });
    const runner = tab(platform, { paused: true });
    runner.status.dispatch({ type: 'ended', state: 'paused', error: new Error('401') });
    runner.relay.publish();
    await settle();
    expect(offline.shown()).toBe('paused');
    expect(offline.state.paused).toBe(true);
  });
});

describe('a newcomer that runs its own round before the answer to its hello', () => {
  it('keeps its own round state: the late answer of an older round is ignored', async () => {
    const platform = createManualPlatform({ tabs: true });
    const older = tab(platform);
    older.status.dispatch({
      type: 'ended',
      state: 'error',
      error: new ApiError(503, 'api_error', 'Busy'),
    });
    older.relay.publish();
    await settle();
    const newcomer = tab(platform); // Says hello; the answer comes in a microtask.
    newcomer.status.dispatch({ type: 'ended', state: 'idle', error: null });
    newcomer.relay.publish();
    await settle();
    expect(newcomer.shown()).toBe('idle');
    expect(newcomer.status.status.lastError).toBeNull();
  });
});
