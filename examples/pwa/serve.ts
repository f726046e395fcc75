/**
 * `npm run example:pwa`: builds the example with Vite and serves it on one origin with the
 * reference server behind `/v1` (in-process), so the app, its service worker and the API
 * share the origin, as in production behind a gateway.
 */
import { readdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createReferenceServer,
  type ReferenceServer,
  SEED_CONVERSATIONS,
} from 'protocol-offline/testing';
import { build } from 'vite';
import { TOKEN } from './config.js';

const root = fileURLToPath(new URL('.', import.meta.url));
const dist = join(root, 'dist');
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.webmanifest': 'application/manifest+json',
  '.json': 'application/json',
};

export interface RunningExample {
  url: string;
  api: ReferenceServer;
  close(): Promise<void>;
}

/** Builds the app (unless `build: false`) and serves it with the reference server. */
export async function startExample(
  options: { port?: number; build?: boolean; quiet?: boolean } = {},
): Promise<RunningExample> {
  if (options.build !== false) {
    await build({
      root,
      logLevel: options.quiet ? 'silent' : 'warn',
      build: {
        outDir: dist,
        emptyOutDir: true,
        rollupOptions: {
          input: { main: join(root, 'index.html'), sw: join(root, 'sw.ts') },
          output: {
            entryFileNames: (chunk) => (chunk.name === 'sw' ? 'sw.js' : 'assets/[name]-[hash].js'),
          },
        },
      },
    });
  }
  const api = createReferenceServer({ token: TOKEN, seed: SEED_CONVERSATIONS });
  const served = await serveWithApi(dist, api, options.port ?? 0);
  return { ...served, api };
}

/**
 * Serves the files of `root` and, under `/v1`, the reference server `api` (in-process)
 * on one origin; `/precache.json` lists the files for a service worker to cache.
 */
export async function serveWithApi(
  root: string,
  api: ReferenceServer,
  port = 0,
): Promise<{ url: string; close(): Promise<void> }> {
  const files = async (dir: string): Promise<string[]> =>
    (await readdir(dir, { withFileTypes: true, recursive: true }))
      .filter((entry) => entry.isFile())
      .map(
        (entry) => `/${relative(root, join(entry.parentPath, entry.name)).split('\\').join('/')}`,
      );
  const server: Server = createServer(async (incoming, outgoing) => {
    try {
      const url = new URL(incoming.url ?? '/', 'http://localhost');
      if (url.pathname.startsWith('/v1/') || url.pathname === '/v1') {
        const chunks: Buffer[] = [];
        for await (const chunk of incoming) chunks.push(chunk as Buffer);
        const body = chunks.length === 0 ? undefined : Buffer.concat(chunks);
        const headers = new Headers();
        for (const [key, value] of Object.entries(incoming.headers)) {
          if (typeof value === 'string') headers.set(key, value);
        }
        const response = await api.fetch(
          new Request(url, { method: incoming.method ?? 'GET', headers, body }),
        );
        outgoing.writeHead(response.status, Object.fromEntries(response.headers));
        outgoing.end(Buffer.from(await response.arrayBuffer()));
        return;
      }
      if (url.pathname === '/precache.json') {
        const list = (await files(root)).filter(
          (file) => file !== '/sw.js' && file !== '/index.html',
        );
        outgoing.writeHead(200, {
          'content-type': 'application/json',
          'cache-control': 'no-store',
        });
        outgoing.end(JSON.stringify(list));
        return;
      }
      const path = url.pathname === '/' ? '/index.html' : url.pathname;
      const file = join(root, path);
      if (!file.startsWith(root)) throw new Error('outside');
      const content = await readFile(file).catch(() => readFile(join(root, 'index.html')));
      outgoing.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'text/html; charset=utf-8',
        'cache-control': 'no-cache',
        ...(path === '/sw.js' ? { 'service-worker-allowed': '/' } : {}),
      });
      outgoing.end(content);
    } catch {
      // The API faults drop the connection, like a network failure.
      outgoing.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const example = await startExample({ port: Number(process.env.PORT ?? 5173) });
  console.log(`protocol-offline PWA example: ${example.url}`);
  console.log('The reference server answers /v1/conversations on the same origin. Ctrl+C stops.');
}
