/**
 * The /etc/hosts and /etc/resolv.conf of a container on the private network. slirp4netns's
 * `--configure` fixes the addresses: the container is 10.0.2.100, the host is reached through the
 * gateway 10.0.2.2, and 10.0.2.3 forwards DNS to the host's resolvers.
 */
import { LOOPBACK_HOSTS } from '../sandbox/scratch-files.js';

/** The container's address on its private network. */
export const CONTAINER_ADDRESS = '10.0.2.100';
/** slirp4netns's DNS forwarder. */
export const SLIRP_DNS = '10.0.2.3';

/**
 * `hosts` and `resolvConf` for a container named `hostname` on the private network: the loopback
 * lines Docker writes, the container's own address under its hostname, and `dns` as the name
 * servers, or slirp4netns's forwarder when `dns` is empty.
 * @example privateNetworkFiles('web', []).resolvConf // 'nameserver 10.0.2.3\n'
 */
export function privateNetworkFiles(
  hostname: string,
  dns: readonly string[],
): { hosts: string; resolvConf: string } {
  const hosts = `${LOOPBACK_HOSTS}${CONTAINER_ADDRESS}\t${hostname}\n`;
  const servers = dns.length > 0 ? dns : [SLIRP_DNS];
  return {
    hosts,
    resolvConf: servers.map((server) => `nameserver ${server}\n`).join(''),
  };
}
