/**
 * protocol-offline/testing: the reference server of the Conversations API, its seed
 * data, its MSW handlers, and the adapters that let tests drive the network and the
 * platform's events. Browser-safe: it imports nothing from Node, so it runs in a page or
 * a service worker too; `protocol-offline/testing/node` serves it on a port.
 *
 * @packageDocumentation
 */
export type { RecordedRequest } from './exchange.js';
export type {
  Faults,
  ListAnswer,
  ListAnswerPage,
  ListCall,
  ListHook,
  ListHookOptions,
} from './faults.js';
export type { MalformedRow } from './malform.js';
export {
  type MswHttp,
  type ReferenceHandlersOptions,
  referenceHandlers,
} from './msw.js';
export {
  createManualPlatform,
  createNetworkSwitch,
  type ManualPlatform,
  type ManualPlatformOptions,
  type NetworkSwitch,
} from './platform.js';
export { generateConversations, SEED_CONVERSATIONS } from './seed.js';
export {
  createReferenceServer,
  type ReferenceServer,
  type ReferenceServerOptions,
} from './server.js';
export { compareConversations } from './table.js';
