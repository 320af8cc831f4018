/**
 * What a sandbox's `/dev` holds beyond Docker's defaults: host devices the spec names (one node, or
 * a whole folder such as /dev/bus/usb bound recursively so a device plugged in later shows up), and
 * for a privileged sandbox every device of the host. They are the only mounts allowed under /dev,
 * and each lands in the sandbox's own fresh /dev tmpfs, never in the image.
 */
import { lstatSync, readdirSync, realpathSync } from 'node:fs';
import type { Stats } from 'node:fs';
import path from '../../../util/node-path.js';
import { DevenvError } from '../../../errors.js';
import { DEVICES } from './mount-plan.js';

/** A host device to bind in: `node` a char or block device, `tree` a folder bound with `--rbind`. */
export interface DeviceSpec {
  source: string;
  target: string;
  kind: 'node' | 'tree';
}

/** A device with its source checked on the host; `target` is relative to /dev. */
export interface CheckedDevice {
  source: string;
  target: string;
  kind: 'node' | 'tree';
}

/** Names the sandbox itself puts directly under /dev: no device may land on or below them. */
const OWN = new Set<string>([
  ...DEVICES,
  'pts',
  'ptmx',
  'shm',
  'mqueue',
  'fd',
  'stdin',
  'stdout',
  'stderr',
  'console',
  'init',
]);

/** The folders of host devices a privileged sandbox gets, when the host has them. */
const PRIVILEGED_TREES = ['bus', 'dri', 'snd', 'input'];

function config(message: string, hint: string): DevenvError {
  return new DevenvError('DEVENV_CONFIG_INVALID', message, { hint });
}

function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}

function tryLstat(file: string): Stats | undefined {
  try {
    return lstatSync(file);
  } catch {
    return undefined;
  }
}

/** The device's target relative to /dev, or a `DEVENV_CONFIG_INVALID` naming it. */
function devTarget(target: string): string {
  const rel = target.startsWith('/dev/') ? target.slice('/dev/'.length) : '';
  const parts = rel.split('/');
  if (rel === '' || parts.some((part) => part === '' || part === '.' || part === '..'))
    throw config(
      `the device target "${target}" is not a path under /dev`,
      'Use a plain absolute path such as /dev/ttyUSB0 or /dev/bus/usb (no "..", no trailing slash).',
    );
  if (OWN.has(parts[0] as string))
    throw config(
      `the device target "${target}" is one of the sandbox's own /dev entries`,
      `Pick another name; /dev/${parts[0] ?? ''} is provided already.`,
    );
  return rel;
}

/** Checks every device of a spec on the host; sources are resolved, targets made relative to /dev. */
export function checkDevices(devices: readonly DeviceSpec[]): CheckedDevice[] {
  const checked = devices.map((device) => {
    const target = devTarget(device.target);
    let source: string;
    try {
      source = device.kind === 'tree' ? realpathSync(device.source) : device.source;
    } catch {
      throw config(`the device ${device.source} does not exist`, 'Plug it in, or fix the path.');
    }
    const info = tryLstat(source);
    if (info === undefined)
      throw config(`the device ${device.source} does not exist`, 'Plug it in, or fix the path.');
    if (device.kind === 'node' && !info.isCharacterDevice() && !info.isBlockDevice())
      throw config(
        `${device.source} is not a character or block device`,
        'Name a device node such as /dev/ttyUSB0, or a folder of devices as a tree.',
      );
    if (device.kind === 'tree' && !info.isDirectory())
      throw config(
        `${device.source} is not a folder`,
        'A device tree is a folder such as /dev/bus/usb; name a single device as a node.',
      );
    return { source, target, kind: device.kind };
  });
  for (const [i, a] of checked.entries())
    for (const b of checked.slice(i + 1))
      if (overlaps(a.target, b.target))
        throw config(
          `the device targets /dev/${a.target} and /dev/${b.target} overlap`,
          'Give every device its own target, none inside another.',
        );
  return checked;
}

/**
 * The host's devices for a privileged sandbox: every char or block node directly under /dev and the
 * folders /dev/bus, /dev/dri, /dev/snd and /dev/input when present, minus the sandbox's own entries
 * and anything overlapping a device the spec names (that one wins).
 */
export function privilegedDevices(named: readonly CheckedDevice[], hostDev = '/dev'): CheckedDevice[] {
  const found: CheckedDevice[] = [];
  for (const entry of readdirSync(hostDev, { withFileTypes: true })) {
    if (OWN.has(entry.name)) continue;
    const source = path.join(hostDev, entry.name);
    if (entry.isCharacterDevice() || entry.isBlockDevice())
      found.push({ source, target: entry.name, kind: 'node' });
    else if (entry.isDirectory() && PRIVILEGED_TREES.includes(entry.name))
      found.push({ source, target: entry.name, kind: 'tree' });
  }
  return found.filter((device) => !named.some((other) => overlaps(device.target, other.target)));
}

/**
 * Checks that the host's /dev entries the sandbox binds in (null, zero, …) are character devices:
 * a host whose /dev/null was replaced by a file would otherwise hand that file to every sandbox.
 */
export function checkHostDefaults(hostDev = '/dev'): void {
  for (const name of DEVICES) {
    const info = tryLstat(path.join(hostDev, name));
    if (info === undefined || !info.isCharacterDevice())
      throw new DevenvError(
        'DEVENV_RUNTIME_FAILED',
        `${hostDev}/${name} on this host is not a character device`,
        {
          hint: `Restore it (for /dev/null: rm /dev/null && mknod -m 666 /dev/null c 1 3).`,
        },
      );
  }
}
