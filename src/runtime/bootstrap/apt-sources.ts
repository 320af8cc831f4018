/**
 * The package mirror a bootstrap base comes from when devenv.yml names none: the Debian (or Ubuntu)
 * archive this host's apt already uses, so a machine that reaches only its own apt mirror (an
 * air-gapped one, a CI runner behind a cache) can bootstrap without further settings.
 */
import { readdir, readFile } from '../../util/fs-async.js';
import path from '../../util/node-path.js';
import { DevenvError } from '../../errors.js';

/** One `deb` source as apt reads it, from either file format. */
export interface AptSource {
  /** The file it came from, for messages. */
  file: string;
  uris: string[];
  suites: string[];
  components: string[];
  signedBy?: string | undefined;
}

/** Distributions a bootstrap base can be. */
export type BootstrapDistribution = 'debian' | 'ubuntu';

/** Where debootstrap itself fetches Debian when it is given no mirror. */
export const DEFAULT_DEBIAN_MIRROR = 'http://deb.debian.org/debian';

const SUITES: Readonly<Record<BootstrapDistribution, readonly string[]>> = {
  debian: [
    'jessie',
    'stretch',
    'buster',
    'bullseye',
    'bookworm',
    'trixie',
    'forky',
    'duke',
    'sid',
    'oldoldstable',
    'oldstable',
    'stable',
    'testing',
    'unstable',
  ],
  ubuntu: [
    'xenial',
    'bionic',
    'focal',
    'jammy',
    'kinetic',
    'lunar',
    'mantic',
    'noble',
    'oracular',
    'plucky',
    'questing',
  ],
};

/** `deb [options] URI SUITE COMPONENT…` lines of a `.list` file; `deb-src` and comments are skipped. */
export function parseOneLineSources(text: string, file: string): AptSource[] {
  const sources: AptSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    const match = /^deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)(.*)$/.exec(line);
    if (match === null) continue;
    const [, options = '', uri = '', suite = '', rest = ''] = match;
    const signedBy = /(?:^|\s)signed-by=(\S+)/.exec(options)?.[1];
    sources.push({ file, uris: [uri], suites: [suite], components: rest.trim().split(/\s+/), signedBy });
  }
  return sources;
}

/** The stanzas of a deb822 `.sources` file whose Types include `deb` and that are not disabled. */
export function parseDeb822Sources(text: string, file: string): AptSource[] {
  const sources: AptSource[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let last: string | undefined;
    for (const line of stanza.split('\n')) {
      if (line.startsWith('#')) continue;
      // A continuation line (an inline key in Signed-By) belongs to the field above it.
      if (/^\s/.test(line) && last !== undefined) {
        fields.set(last, `${fields.get(last) ?? ''}\n${line.trim()}`);
        continue;
      }
      const field = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (field === null) continue;
      last = (field[1] ?? '').toLowerCase();
      fields.set(last, (field[2] ?? '').trim());
    }
    const words = (name: string) => (fields.get(name) ?? '').split(/\s+/).filter((w) => w !== '');
    if (!words('types').includes('deb') || /^no$/i.test(fields.get('enabled') ?? '')) continue;
    sources.push({
      file,
      uris: words('uris'),
      suites: words('suites'),
      components: words('components'),
      signedBy: fields.get('signed-by'),
    });
  }
  return sources;
}

/** The distribution an entry's archive is, judged by its suite names, keyring and URL; or undefined. */
function distributionOf(source: AptSource, uri: string): BootstrapDistribution | undefined {
  // Security archives carry only updates: debootstrap cannot make a system from them.
  if (source.suites.some((s) => s.endsWith('-security')) || /security/.test(uri)) return undefined;
  // Third-party repositories reuse the codenames (Docker's is "bookworm stable"); the archives have main.
  if (!source.components.includes('main')) return undefined;
  const codenames = source.suites.map((s) => s.replace(/-(updates|backports|proposed)$/, ''));
  for (const distribution of ['debian', 'ubuntu'] as const) {
    if (codenames.some((s) => SUITES[distribution].includes(s))) return distribution;
    if (source.signedBy?.includes(`${distribution}-archive-keyring`) === true) return distribution;
  }
  return undefined;
}

/** The first http(s) archive of `distribution` among `sources`, without a trailing slash. */
export function mirrorFromSources(
  sources: readonly AptSource[],
  distribution: BootstrapDistribution,
): string | undefined {
  for (const source of sources)
    for (const uri of source.uris)
      if (/^https?:\/\//.test(uri) && distributionOf(source, uri) === distribution)
        return uri.replace(/\/+$/, '');
  return undefined;
}

/**
 * Every `deb` source of the host in apt's order: `sources.list`, then `sources.list.d/*.list` and
 * `*.sources` by name. Missing files are no sources; unreadable ones are skipped, as apt warns.
 */
export async function readAptSources(aptDir = '/etc/apt'): Promise<AptSource[]> {
  const read = (file: string) => readFile(file, 'utf8').catch(() => '');
  const main = path.join(aptDir, 'sources.list');
  const sources = parseOneLineSources(await read(main), main);
  const partsDir = path.join(aptDir, 'sources.list.d');
  const parts = (await readdir(partsDir).catch(() => [] as string[])).sort();
  for (const name of parts) {
    const file = path.join(partsDir, name);
    if (name.endsWith('.list')) sources.push(...parseOneLineSources(await read(file), file));
    else if (name.endsWith('.sources')) sources.push(...parseDeb822Sources(await read(file), file));
  }
  return sources;
}

/**
 * The mirror a bootstrap uses: `mirror:` from devenv.yml, else the host's archive of that
 * distribution, else Debian's own for Debian. Ubuntu has no such fallback a Debian host could know,
 * so it asks for `mirror:`.
 */
export function chooseMirror(
  distribution: BootstrapDistribution,
  suite: string,
  configured: string | undefined,
  hostSources: readonly AptSource[],
): string {
  if (configured !== undefined) return configured.replace(/\/+$/, '');
  const host = mirrorFromSources(hostSources, distribution);
  if (host !== undefined) return host;
  if (distribution === 'debian') return DEFAULT_DEBIAN_MIRROR;
  throw new DevenvError(
    'DEVENV_CONFIG_INVALID',
    `base: {bootstrap: ${distribution}:${suite}} needs a mirror: this host's apt sources (/etc/apt/sources.list and sources.list.d) name no Ubuntu archive`,
    { hint: 'set base.mirror in devenv.yml, such as mirror: http://archive.ubuntu.com/ubuntu' },
  );
}
