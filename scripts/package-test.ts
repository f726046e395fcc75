/**
 * `npm run test:package`: packs the package, installs the tarball into a fresh project
 * (only it and its dependencies), runs a Node script that writes offline and syncs
 * against the packaged reference server and calls it over HTTP with CORS
 * (`protocol-offline/testing/node`), renders the React hooks and the Vue composables on the
 * server, and typechecks consumer files (a React and a Vue one included) against the
 * published types with moduleResolution `bundler` and `node16`, together with every
 * TypeScript example of the README and the guides (docs/*.md; the Svelte, Solid and Angular
 * ones with those frameworks installed), and checks that every relative link of the README
 * and the guides points into the package.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';

const repo = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'protocol-offline-package-'));
const run = (command: string, args: string[], cwd = work) => {
  process.stdout.write(`$ ${command} ${args.join(' ')}\n`);
  return execFileSync(command, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
};

try {
  const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], repo)) as {
    filename: string;
    size: number;
    files: { path: string }[];
  }[];
  const tarball = join(work, packed[0]?.filename as string);
  const files = packed[0]?.files.map((file) => file.path) ?? [];
  if (
    files.some(
      (file) =>
        file.startsWith('test/') || file.startsWith('bench/') || file.startsWith('examples/'),
    )
  ) {
    throw new Error('the tarball carries files users do not need');
  }
  process.stdout.write(`packed ${files.length} files, ${packed[0]?.size} bytes\n`);
  // The README and the guides are read on the registry and in node_modules: a relative
  // link must be packed.
  const pages = ['README.md', ...files.filter((file) => /^docs\/[^/]+\.md$/.test(file))];
  if (pages.length < 2) throw new Error('the guides (docs/*.md) are not packed');
  const unpacked = pages.flatMap((page) =>
    [...readFileSync(join(repo, page), 'utf8').matchAll(/\]\(([^)\s]+)\)/g)]
      .map((match) => match[1] as string)
      .filter((link) => !/^(https?:|mailto:|#)/.test(link))
      .map((link) => posix.normalize(posix.join(posix.dirname(page), link.replace(/#.*$/, ''))))
      .filter((path) => !files.includes(path))
      .map((path) => `${page} → ${path}`),
  );
  if (unpacked.length > 0) {
    throw new Error(`the docs link to files the package lacks: ${unpacked.join(', ')}`);
  }

  writeFileSync(
    join(work, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  // PACKAGE_TEST_LOWEST=1: the lowest dexie and rxjs the peer ranges admit (CI runs both).
  const peers = (
    JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
      peerDependencies: Record<string, string>;
    }
  ).peerDependencies;
  const lowest = (name: string) => `${name}@${(peers[name] as string).replace(/^\^/, '')}`;
  const pinned = process.env.PACKAGE_TEST_LOWEST ? [lowest('dexie'), lowest('rxjs')] : [];
  if (pinned.length > 0) process.stdout.write(`with the lowest peers: ${pinned.join(' ')}\n`);
  run('npm', [
    'install',
    '--no-audit',
    '--no-fund',
    '--loglevel=error',
    tarball,
    ...pinned,
    'fake-indexeddb@^6',
    'typescript@~5.9',
    '@types/node@^20',
    'react@^19',
    'react-dom@^19',
    '@types/react@^19',
    'vue@^3.5',
    // Only for the README's framework examples.
    'svelte@^5',
    'solid-js@^1.9',
    '@angular/core@^21',
  ]);

  writeFileSync(
    join(work, 'consumer.mjs'),
    `import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { createConversationStore, ValidationError } from 'protocol-offline';
import { createNetworkSwitch, createReferenceServer, SEED_CONVERSATIONS } from 'protocol-offline/testing';
import { listen } from 'protocol-offline/testing/node';

const server = createReferenceServer({ token: 't', seed: SEED_CONVERSATIONS });
const network = createNetworkSwitch(server.fetch);
const logged = [];
const store = createConversationStore({
  baseUrl: 'https://api.example', getToken: () => 't', fetch: network.fetch,
  indexedDB: new IDBFactory(), IDBKeyRange, sync: { auto: false },
  logger: (event) => logged.push(event),
});
const events = [];
store.sync.events$.subscribe((event) => events.push(event));
await store.sync.now();
network.offline = true;
const created = await store.conversations.create({ contact_id: 'packaged' });
await store.conversations.update(created.id, { is_muted: true });
const offline = await store.sync.now();
network.offline = false;
const online = await store.sync.now();
const onServer = server.all().filter((row) => row.contact_id === 'packaged');
const refused = await store.conversations.list({ limit: 0 }).catch((e) => e instanceof ValidationError);
await store.close();

const http = await listen(server, { cors: true });
const preflight = await fetch(http.url + '/v1/conversations', {
  method: 'OPTIONS', headers: { origin: 'http://app.example', 'access-control-request-method': 'PUT' },
});
const listed = await fetch(http.url + '/v1/conversations', { headers: { authorization: 'Bearer t' } });
const overHttp = { preflight: preflight.status, list: listed.status, cors: listed.headers.get('access-control-allow-origin') };
await http.close();
console.log(JSON.stringify({ offline: offline.state, online: online.state, pushed: online.pushed, onServer, overHttp }));
if (onServer.length !== 1 || !onServer[0].is_muted || offline.state !== 'offline' || !refused) process.exit(1);
const sent = events.filter((event) => event.type === 'request').map((event) => event.method + ' ' + event.status);
if (!sent.includes('PUT 200') || logged.length !== events.length || JSON.stringify(events).includes('Bearer')) process.exit(1);
if (overHttp.preflight !== 204 || overHttp.list !== 200 || overHttp.cors !== '*') process.exit(1);
`,
  );
  process.stdout.write(run('node', ['consumer.mjs']));

  // The hooks on a server: no IndexedDB, so every one answers undefined and subscribes to nothing.
  writeFileSync(
    join(work, 'consumer-react.mjs'),
    `import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { createConversationStore } from 'protocol-offline';
import { useConversation, useConversations, usePendingIds, useSyncStatus } from 'protocol-offline/react';

const store = createConversationStore({ baseUrl: 'https://api.example', getToken: () => 't', sync: { auto: false } });
function Page() {
  const values = [useConversations(store, { muted: false }), useConversation(store, 'x'), useSyncStatus(store), usePendingIds(store)];
  return createElement('p', null, values.map(String).join(' '));
}
const html = renderToString(createElement(Page));
await store.close();
console.log(html);
if (html !== '<p>undefined undefined undefined undefined</p>') process.exit(1);
`,
  );
  process.stdout.write(run('node', ['consumer-react.mjs']));

  // The composables on a server: the same, through Vue's own server renderer.
  writeFileSync(
    join(work, 'consumer-vue.mjs'),
    `import { createSSRApp, h } from 'vue';
import { renderToString } from 'vue/server-renderer';
import { createConversationStore } from 'protocol-offline';
import { useConflicts, useConversation, useConversations, usePendingIds, useRejections, useSyncStatus } from 'protocol-offline/vue';

const store = createConversationStore({ baseUrl: 'https://api.example', getToken: () => 't', sync: { auto: false } });
const app = createSSRApp({
  setup() {
    const refs = [useConversations(store, { muted: false }), useConversation(store, 'x'), useSyncStatus(store), usePendingIds(store), useRejections(store), useConflicts(store)];
    return () => h('p', refs.map((ref) => String(ref.value)).join(' '));
  },
});
const html = await renderToString(app);
await store.close();
console.log(html);
if (html !== '<p>' + Array(6).fill('undefined').join(' ') + '</p>') process.exit(1);
`,
  );
  process.stdout.write(run('node', ['consumer-vue.mjs']));

  writeFileSync(
    join(work, 'consumer.ts'),
    `import { type Conversation, type ConversationStore, createConversationStore, type SyncEvent, type SyncStatus, ValidationError } from 'protocol-offline';
import { createReferenceServer, type ReferenceServer, referenceHandlers } from 'protocol-offline/testing';
import { type ListeningServer, listen } from 'protocol-offline/testing/node';
import { requestBackgroundSync } from 'protocol-offline/sw';

const server: ReferenceServer = createReferenceServer();
const store: ConversationStore = createConversationStore({ baseUrl: 'https://api.example', getToken: () => 't', fetch: server.fetch });
const first: Promise<Conversation | undefined> = store.conversations.retrieve('x');
const logging: ConversationStore = createConversationStore({
  baseUrl: 'https://api.example',
  getToken: () => 't',
  debug: 'verbose',
  logger: (event: SyncEvent) => {
    if (event.type === 'request') console.log(event.method, event.path, event.status ?? event.failure, event.durationMs);
  },
});
logging.sync.events$.subscribe((event: SyncEvent) => {
  if (event.type === 'backoff') event.until satisfies number;
  if (event.type === 'round-end') event.kind satisfies 'full' | 'recent' | 'none';
});
store.sync.status$.subscribe((status: SyncStatus) => status.pending satisfies number);
const background: Promise<boolean> = requestBackgroundSync();
const error: ValidationError = new ValidationError('limit', 'bad');
const http: Promise<ListeningServer> = listen(server, { port: 0, cors: { origin: 'http://localhost:5173' } });
// Checked before msw is installed: the adapter's types must not need it.
const handlers: string[] = referenceHandlers(server, { http: { all: (path: string) => path } });
export { background, error, first, handlers, http };
`,
  );
  writeFileSync(
    join(work, 'consumer-react.tsx'),
    `import type { Conversation, ConversationStore, ListPage, SyncStatus } from 'protocol-offline';
import { useConversation, useConversations, usePendingIds, useSyncStatus } from 'protocol-offline/react';

export function Inbox({ store, id }: { store: ConversationStore; id: string }) {
  const page: ListPage | undefined = useConversations(store, { muted: false, limit: 20 });
  const all: ListPage | undefined = useConversations(store);
  const one: Conversation | null | undefined = useConversation(store, id);
  const status: SyncStatus | undefined = useSyncStatus(store);
  const pending: ReadonlySet<string> | undefined = usePendingIds(store);
  return (
    <p title={status?.state}>
      {page?.data.length} {all?.has_more} {one?.id} {pending?.size}
    </p>
  );
}
`,
  );
  writeFileSync(
    join(work, 'consumer-vue.ts'),
    `import type { Conflict, Conversation, ConversationStore, ListPage, Rejection, SyncStatus } from 'protocol-offline';
import { RECENT_CONFLICTS, useConflicts, useConversation, useConversations, useListState, usePendingIds, useRejections, useSyncStatus } from 'protocol-offline/vue';
import { type Ref, ref } from 'vue';

export function useInbox(store: ConversationStore, id: Ref<string>) {
  const archived = ref(false);
  const page: Readonly<Ref<ListPage | undefined>> = useConversations(store, () => ({ archived: archived.value }), { keepPrevious: true });
  const all: Readonly<Ref<ListPage | undefined>> = useConversations(store);
  const one: Readonly<Ref<Conversation | null | undefined>> = useConversation(store, id);
  const status: Readonly<Ref<SyncStatus | undefined>> = useSyncStatus(store);
  const pending: Readonly<Ref<ReadonlySet<string> | undefined>> = usePendingIds(store);
  const fresh = useListState(store, ref({ limit: 20 }));
  const refused: Readonly<Ref<readonly Rejection[] | undefined>> = useRejections(store);
  const conflicts: Readonly<Ref<readonly Conflict[] | undefined>> = useConflicts(store);
  const max: number = RECENT_CONFLICTS;
  return { archived, page, all, one, status, pending, fresh, refused, conflicts, max };
}
`,
  );
  // Every TypeScript (and TSX) block of the README, as a user would paste it: imports at the
  // top, the rest in an async function; the names the examples leave to the app are declared.
  // A block that is a whole module (it exports something: the framework examples) is
  // checked as it is.
  const readme = pages.map((page) => readFileSync(join(repo, page), 'utf8')).join('\n');
  const snippets = [...readme.matchAll(/```(tsx?)\n([\s\S]*?)```/g)].map((match) => ({
    extension: match[1] as string,
    code: match[2] as string,
  }));
  if (snippets.length === 0) throw new Error('no TypeScript examples found in the README');
  const snippetFiles = snippets.map(({ extension, code }, index) => {
    const lines = code.split('\n');
    const isImport = (line: string) => line.startsWith('import ');
    const file = `readme-${index + 1}.${extension}`;
    if (lines.some((line) => line.startsWith('export '))) {
      writeFileSync(join(work, file), code);
      return file;
    }
    writeFileSync(
      join(work, file),
      [
        "import type { Conversation, ConversationStore } from 'protocol-offline';",
        ...lines.filter(isImport),
        'declare const auth: { accessToken(): Promise<string> };',
        'declare const userId: string;',
        'declare const baseUrl: string;',
        'declare function getToken(): Promise<string>;',
        'declare function render(rows: readonly Conversation[]): void;',
        'declare function bar(state: string): void;',
        'declare function badges(ids: ReadonlySet<string>): void;',
        'declare const store: ConversationStore;',
        'export async function example(): Promise<void> {',
        ...lines.filter((line) => !isImport(line)),
        '}',
      ].join('\n'),
    );
    return file;
  });
  process.stdout.write(`README and guides: ${snippets.length} TypeScript examples\n`);

  const typecheck = (files: string[], what: string) => {
    for (const [module, resolution] of [
      ['esnext', 'bundler'],
      ['node16', 'node16'],
    ]) {
      writeFileSync(
        join(work, `tsconfig.${resolution}.json`),
        JSON.stringify({
          compilerOptions: {
            strict: true,
            noEmit: true,
            target: 'ES2022',
            lib: ['ES2022', 'DOM'],
            jsx: 'react-jsx',
            module,
            moduleResolution: resolution,
            types: ['node'],
          },
          files,
        }),
      );
      run('npx', ['tsc', '-p', `tsconfig.${resolution}.json`]);
      process.stdout.write(`${what} typecheck with moduleResolution ${resolution}\n`);
    }
  };
  typecheck(
    ['consumer.ts', 'consumer-react.tsx', 'consumer-vue.ts'],
    'without msw installed, the entries',
  );
  // msw is an optional peer: installed only now, for the README's MSW example.
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', 'msw@^2']);
  typecheck(
    ['consumer.ts', 'consumer-react.tsx', 'consumer-vue.ts', ...snippetFiles],
    'with msw, the entries and the README examples',
  );
  process.stdout.write('package test passed\n');
} finally {
  rmSync(work, { recursive: true, force: true });
}
