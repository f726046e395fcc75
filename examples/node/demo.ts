/**
 * `npm run demo`: the reference server on a localhost port (real HTTP), a store against
 * it (fake-indexeddb stands in for the browser's IndexedDB), and the offline story told
 * step by step: pull, go offline, write, another device writes, come back, sync.
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { type Conversation, createConversationStore } from 'protocol-offline';
import {
  createManualPlatform,
  createNetworkSwitch,
  createReferenceServer,
  SEED_CONVERSATIONS,
} from 'protocol-offline/testing';
import { listen } from 'protocol-offline/testing/node';

const TOKEN = 'demo-token';
const say = (text: string) => console.log(text);
const step = (text: string) => console.log(`\n== ${text}`);
const short = (row: Conversation) =>
  `${row.id.padEnd(20)} ${(row.contact_id ?? `group ${row.group_id}`).padEnd(22)}` +
  `${row.is_pinned ? ' pinned' : ''}${row.is_muted ? ' muted' : ''}${row.archived_at !== null ? ' archived' : ''}`;

const server = createReferenceServer({ token: TOKEN, seed: SEED_CONVERSATIONS });
const http = await listen(server);
say(`Reference server listening on ${http.url}`);

// The browser's network, and its online/offline events, stand-ins for Node.
const network = createNetworkSwitch((input, init) => fetch(input, init));
const platform = createManualPlatform();
const store = createConversationStore({
  baseUrl: http.url,
  getToken: () => TOKEN,
  databaseName: 'demo',
  fetch: network.fetch,
  indexedDB: new IDBFactory(),
  IDBKeyRange,
  platform,
  sync: { debounceMs: 50, intervalMs: 0 },
});

store.idChanges$.subscribe(({ from, to }) => say(`  id remapped: ${from} → ${to}`));
store.sync.conflicts$.subscribe((c) =>
  say(`  conflict on ${c.id} (${c.kind}: ${c.fields.join(', ') || 'no field'}) resolved by rebase`),
);
let lastState = '';
store.sync.status$.subscribe((s) => {
  const line = `${s.state}, ${s.pending} pending`;
  if (line !== lastState)
    say(`  [status] ${line}${s.lastError ? ` (${s.lastError.name}: ${s.lastError.message})` : ''}`);
  lastState = line;
});

const untilIdle = () =>
  new Promise<void>((resolve) => {
    const subscription = store.sync.status$.subscribe((s) => {
      if (s.state === 'idle' && s.pending === 0 && s.lastSyncedAt !== null) {
        queueMicrotask(() => subscription.unsubscribe());
        resolve();
      }
    });
  });

step('1. Online: the store starts and pulls the server state by itself');
await untilIdle();
const first = await store.conversations.list({ limit: 5 });
for (const row of first.data) say(`  ${short(row)}`);
say(`  has_more: ${first.has_more}`);

const pinnedLive = store.conversations.list$({ pinned: true });
const liveSubscription = pinnedLive.subscribe((page) =>
  say(`  [live] pinned list now has ${page.data.length} conversation(s)`),
);

step('2. The network drops');
network.offline = true;
platform.goOffline();

const [a, b, c] = first.data as [Conversation, Conversation, Conversation];
step('3. Offline writes land locally at once');
const created = await store.conversations.create({ contact_id: 'WAz8eIbvDR60rouK' });
say(`  created ${created.id}`);
await store.conversations.update(created.id, { is_pinned: true });
await store.conversations.update(a.id, { is_muted: true });
await store.conversations.update(a.id, { is_muted: true, archived_at: 1_700_000_000 });
await store.conversations.delete(c.id);
say(`  ${a.id} muted and archived, ${c.id} deleted`);

const pending = await new Promise<ReadonlySet<string>>((resolve) => {
  const subscription = store.sync.pending$.subscribe((ids) => {
    if (ids.size === 3) {
      queueMicrotask(() => subscription.unsubscribe());
      resolve(ids);
    }
  });
});
say(`  pending badge on: ${[...pending].join(', ')}`);
say('  outbox:');
for (const item of await store.sync.listOutbox()) {
  const detail =
    item.op === 'create'
      ? JSON.stringify(item.body)
      : item.op === 'update'
        ? JSON.stringify(item.patch)
        : '';
  say(`    ${item.op.padEnd(6)} ${item.recordId} ${detail}`);
}
const attempt = await store.sync.now();
say(`  sync.now() while offline → state ${attempt.state}, nothing lost`);

step('4. Meanwhile another device changes the server');
server.update(a.id, { is_pinned: true, last_active_at: 1_800_000_000 });
server.update(b.id, { is_muted: true });
say(`  ${a.id} pinned and made most recent, ${b.id} muted, elsewhere`);

step('5. Back online: the online event starts a round');
network.offline = false;
const synced = untilIdle();
platform.goOnline();
await synced;

step('6. Converged');
const local = await store.conversations.list({ limit: 100 });
for (const row of local.data) say(`  ${short(row)}`);
const remote = server.all();
const same = JSON.stringify(local.data) === JSON.stringify(remote);
say(`  local list equals the server's: ${same}`);
const mergedA = await store.conversations.retrieve(a.id);
say(
  `  ${a.id}: muted ${mergedA?.is_muted}, archived ${mergedA?.archived_at !== null}, pinned ${mergedA?.is_pinned} (both devices' edits kept)`,
);
say(
  `  retrieve(${created.id}) still finds it: ${(await store.conversations.retrieve(created.id))?.id}`,
);

liveSubscription.unsubscribe();
await store.close();
await http.close();
if (!same) {
  console.error('The store did not converge with the server');
  process.exit(1);
}
say('\nDone.');
