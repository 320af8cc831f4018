/**
 * Starts a private network in a child process, the way a container's monitor would, so a test can
 * kill this process with SIGKILL and see slirp4netns go with it. argv: the options as JSON. Prints
 * the published ports as JSON once the network is up, then waits to be killed.
 * Started through test/helpers/child-script.ts.
 */
import { startPrivateNetwork } from '../../../../../src/runtime/embedded/network/index.js';
import type { PrivateNetworkOptions } from '../../../../../src/runtime/embedded/network/index.js';

const options = JSON.parse(process.argv[2] ?? '{}') as PrivateNetworkOptions;
const network = await startPrivateNetwork(options);
process.stdout.write(`${JSON.stringify(network.published)}\n`);
await network.exited;
