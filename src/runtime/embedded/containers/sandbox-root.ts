/**
 * The sandbox settings of a container that do not depend on how it is run: the overlay root (the
 * image's layers under the container's writable layer), user, working directory, network, binds
 * (named volumes resolved to their folders), devices and capabilities. The monitor and `run` both
 * start from these.
 */
import { mkdir } from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';
import { chainDirs } from '../builder/step-layer.js';
import { privateNetworkFiles } from '../network/index.js';
import { chainIdsOf } from '../store/index.js';
import type { Store } from '../store/index.js';
import type { SandboxSpec } from '../sandbox/index.js';
import { volumeDataDir } from '../volumes/index.js';
import type { ContainerConfig } from './record.js';

/** The settings; `argv`, `env`, `output` and `scratchDir` are the caller's. */
export type ContainerSandbox = Omit<SandboxSpec, 'argv' | 'env' | 'output' | 'scratchDir'>;

/** /etc/hosts and /etc/resolv.conf: the sandbox's defaults unless the network or DNS says otherwise. */
function networkFiles(config: ContainerConfig): Pick<SandboxSpec, 'hosts' | 'resolvConf'> {
  if (config.network === 'private') return privateNetworkFiles(config.hostname, config.dns);
  if (config.dns.length > 0)
    return { resolvConf: config.dns.map((server) => `nameserver ${server}\n`).join('') };
  return {};
}

/**
 * The sandbox of `config` with its writable layer in `dir` (`dir/upper`, `dir/work`, created when
 * missing; `upper` may already hold the container's files).
 */
export async function prepareSandboxRoot(
  store: Store,
  config: ContainerConfig,
  dir: string,
): Promise<ContainerSandbox> {
  const { config: image } = await store.images.config(config.imageId);
  const lowers = await chainDirs(store, chainIdsOf(image.rootfs.diff_ids).at(-1));
  const upper = path.join(dir, 'upper');
  const work = path.join(dir, 'work');
  await mkdir(upper, { recursive: true, mode: 0o755 });
  await mkdir(work, { recursive: true, mode: 0o700 });
  if (lowers.length === 0) {
    // overlayfs needs a lower dir; an image without layers gets an empty one.
    const empty = path.join(dir, 'empty');
    await mkdir(empty, { recursive: true });
    lowers.push(empty);
  }
  const binds = await Promise.all(
    config.mounts.map(async (mount) => ({
      source: mount.type === 'bind' ? mount.source : await volumeDataDir({ store }, mount.name),
      target: mount.target,
      readonly: mount.readonly,
    })),
  );
  return {
    rootfs: { kind: 'overlay', lowers, upper, work },
    cwd: config.workdir,
    user: config.user,
    network: config.network,
    hostname: config.hostname,
    ...networkFiles(config),
    binds,
    devices: config.devices,
    capabilities: config.capabilities,
    privileged: config.privileged,
    init: config.init,
  };
}
