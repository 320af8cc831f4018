/**
 * The private network of embedded containers (docs/embedded-runtime.md#networks): an own network
 * namespace with outbound access and published ports through slirp4netns, without iptables or a
 * bridge. The sandbox makes the namespace; the container's monitor calls
 * {@link startPrivateNetwork} with a pid inside it before the container's program starts and keeps
 * the handle for the container's life.
 */
export { startPrivateNetwork } from './start-private-network.js';
export type { PrivateNetwork, PrivateNetworkOptions } from './start-private-network.js';
export { privateNetworkFiles } from './network-files.js';
export { privateNetworkSupport } from './support.js';
