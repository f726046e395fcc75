/**
 * `npm run simulate`: 500 clients of 200 conversations each against one server (one
 * reference server per account behind one counting front door) go offline together, make
 * two changes each, and come back within one second. Reported: the server's peak and
 * mean requests per second over the next 5 minutes, with 0.1.0's behaviour (every
 * automatic round walks every page, no read before a PUT: `fullSyncMs: 0`,
 * `freshMs: MAX_SAFE_INTEGER`) and with the new defaults. Each client shows one list.
 * Time is simulated (bench/virtual-clock.ts); requests of one round count in the second
 * the round started, so peaks are an upper bound.
 */
import { writeFileSync } from 'node:fs';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { firstValueFrom, type Subscription } from 'rxjs';
import { type ConversationStore, createConversationStore, type SyncOptions } from '../src/index.js';
import { setClock } from '../src/platform/clock.js';
import {
  createManualPlatform,
  createNetworkSwitch,
  createReferenceServer,
  generateConversations,
} from '../src/testing/index.js';
import { VirtualClock } from './virtual-clock.js';

const CLIENTS = Number(process.env.SIM_CLIENTS ?? 500);
const ROWS = 200;
const TOKEN = 'sim-token';
const MINUTE = 60_000;

interface Run {
  behaviour: string;
  peak: number;
  mean: number;
  total: number;
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

async function simulate(behaviour: string, sync: SyncOptions): Promise<Run> {
  const clock = new VirtualClock();
  const restore = setClock(clock);
  const start = clock.now();
  const log: number[] = [];
  let active = 0;
  const settle = async () => {
    // A round starts from a timer and runs on IndexedDB's (real) event loop: wait until
    // no store is syncing, twice in a row.
    // A round waiting on a (virtual) timer only goes on once time moves: give up waiting
    // after a while and let the clock advance.
    let quiet = 0;
    for (let spins = 0; quiet < 2 && spins < 25; spins++) {
      for (let i = 0; i < 4; i++) await tick();
      quiet = active === 0 ? quiet + 1 : 0;
    }
  };
  let random = 7;
  const next = () => {
    random = (random * 1_103_515_245 + 12_345) % 2 ** 31;
    return random / 2 ** 31;
  };
  const clients: {
    store: ConversationStore;
    platform: ReturnType<typeof createManualPlatform>;
    network: ReturnType<typeof createNetworkSwitch>;
    ids: string[];
  }[] = [];
  const opened: Promise<void>[] = [];
  const inboxes: Subscription[] = [];
  for (let i = 0; i < CLIENTS; i++) {
    const rows = generateConversations(ROWS, { seed: i + 1 });
    const server = createReferenceServer({ token: TOKEN, seed: rows });
    const network = createNetworkSwitch(async (input, init) => {
      log.push(clock.now());
      return server.fetch(input, init);
    });
    const platform = createManualPlatform();
    // Clients opened the app at different moments of the first minute.
    clock.setTimeout(() => {
      const store = createConversationStore({
        baseUrl: 'https://api.example',
        getToken: () => TOKEN,
        databaseName: `sim-${behaviour}-${i}`,
        indexedDB: new IDBFactory(),
        IDBKeyRange,
        fetch: network.fetch,
        platform,
        sync,
      });
      // A round is active from its 'syncing' status to the next other state.
      let syncing = false;
      store.sync.status$.subscribe((status) => {
        const now = status.state === 'syncing';
        if (now !== syncing) active += now ? 1 : -1;
        syncing = now;
      });
      clients[i] = { store, platform, network, ids: rows.map((row) => row.id) };
      // The app shows its inbox: one watched list (released before the store closes: a
      // live read errors once its store is closed).
      const inbox = store.conversations.list$({ archived: false, limit: 20 }).subscribe();
      inboxes.push(inbox);
      opened.push(firstValueFrom(store.sync.status$).then(() => {}));
    }, next() * MINUTE);
  }
  // Progress on stderr, at most once a second of real time: the simulated time reached
  // and the real time taken so far.
  const began = Date.now();
  const cpu = process.cpuUsage();
  let shownAt = 0;
  const settleAll = async () => {
    await settle();
    if (Date.now() - shownAt < 1000) return;
    shownAt = Date.now();
    const seconds = Math.round((clock.now() - start) / 1000);
    const real = Math.round((shownAt - began) / 1000);
    process.stderr.write(
      `${behaviour}: ${CLIENTS} clients, ${seconds} s of 480 simulated in ${real} s\n`,
    );
  };
  await clock.runUntil(start + 2 * MINUTE, settleAll);
  await Promise.all(opened);

  // Everyone goes offline together (a train into a tunnel, a network outage) and edits.
  for (const client of clients) {
    client.network.offline = true;
    client.platform.goOffline();
  }
  for (const client of clients) {
    for (let edit = 0; edit < 2; edit++) {
      const id = client.ids[Math.floor(next() * ROWS)] as string;
      await client.store.conversations.update(id, { is_muted: next() < 0.5 });
    }
  }
  await clock.runUntil(start + 3 * MINUTE, settleAll);

  // ...and comes back within one second.
  const back = start + 3 * MINUTE;
  for (const client of clients) {
    clock.setTimeout(() => {
      client.network.offline = false;
      client.platform.goOnline();
    }, next() * 1000);
  }
  log.length = 0;
  await clock.runUntil(back + 5 * MINUTE, settleAll);

  const perSecond = new Map<number, number>();
  for (const at of log) {
    const second = Math.floor((at - back) / 1000);
    if (second >= 0 && second < 300) perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
  }
  const total = [...perSecond.values()].reduce((a, b) => a + b, 0);
  for (const inbox of inboxes) inbox.unsubscribe();
  for (const client of clients) await client.store.close();
  restore();
  const took = ((Date.now() - began) / 1000).toFixed(1);
  const { user, system } = process.cpuUsage(cpu);
  const busy = ((user + system) / 1e6).toFixed(1);
  process.stderr.write(`${behaviour}: ${CLIENTS} clients, done in ${took} s (${busy} s of CPU)\n`);
  return {
    behaviour,
    peak: Math.max(0, ...perSecond.values()),
    mean: Math.round((total / 300) * 10) / 10,
    total,
  };
}

const runs = [
  // 0.1.0 walked every page on every round and never read a record before its PUT.
  await simulate('0.1.0 (every round walks every page)', {
    fullSyncMs: 0,
    freshMs: Number.MAX_SAFE_INTEGER,
  }),
  await simulate('new defaults (recent rounds, a walk every 15 min)', {}),
];
console.table(runs);
writeFileSync(
  new URL('./simulation.json', import.meta.url),
  `${JSON.stringify({ clients: CLIENTS, conversationsEach: ROWS, runs }, null, 2)}\n`,
);
