/**
 * protocol-offline/testing: the reference server of the Conversations API and the
 * adapters that let tests drive the network and the platform's events.
 *
 * @packageDocumentation
 */
export type { Faults, MalformedRow } from './faults.js';
export {
  createManualPlatform,
  createNetworkSwitch,
  type ManualPlatform,
  type NetworkSwitch,
} from './platform.js';
export { generateConversations, SEED_CONVERSATIONS } from './seed.js';
export {
  createReferenceServer,
  type RecordedRequest,
  type ReferenceServer,
  type ReferenceServerOptions,
} from './server.js';
export { compareConversations } from './table.js';
