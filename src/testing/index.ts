/**
 * protocol-offline/testing: the reference server of the Conversations API, its seed
 * data, and the adapters that let tests drive the network and the platform's events.
 *
 * @packageDocumentation
 */
export type { RecordedRequest } from './exchange.js';
export type { Faults } from './faults.js';
export type { ListeningServer } from './listen.js';
export type { MalformedRow } from './malform.js';
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
