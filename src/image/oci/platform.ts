/**
 * Which image of a multi-platform index runs here (docs/image-formats.md#manifests-and-media-types). Pure: the caller passes
 * `process.arch` (and, on 32-bit ARM, `process.config.variables.arm_version`) in.
 */
import type { Descriptor, Platform } from './manifest-schemas.js';

/** The platform we want from an index: os, architecture and, where it matters, the variant. */
export interface TargetPlatform {
  os: string;
  architecture: string;
  variant?: string | undefined;
}

const ARCH: Readonly<Record<string, string>> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ia32: '386',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
  mips64el: 'mips64le',
};

/** The OCI architecture name of a Node `process.arch` value. */
export function ociArchitecture(nodeArch: string): string {
  return ARCH[nodeArch] ?? nodeArch;
}

/** Maps a Node `process.arch` value to the OCI platform, always `linux`. */
export function platformFromNode(arch: string, armVersion?: string | number): TargetPlatform {
  const architecture = ARCH[arch] ?? arch;
  if (architecture === 'arm64') return { os: 'linux', architecture, variant: 'v8' };
  if (architecture === 'arm') return { os: 'linux', architecture, variant: `v${String(armVersion ?? 7)}` };
  return { os: 'linux', architecture };
}

/** `linux/arm64/v8`, the way Docker prints a platform. */
export function formatPlatform(p: {
  os: string;
  architecture: string;
  variant?: string | undefined;
}): string {
  return [p.os, p.architecture, p.variant].filter((s) => s !== undefined && s !== '').join('/');
}

/** True for buildx attestation manifests, which sit in indexes as `unknown/unknown`. */
export function isAttestation(descriptor: Descriptor): boolean {
  return (
    descriptor.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' ||
    descriptor.platform?.os === 'unknown'
  );
}

/**
 * How well `platform` fits `target`: 0 = not at all, higher = better. arm64 accepts `v8` or no
 * variant; 32-bit arm runs its own variant or an older one (v7 runs v6 and v5), preferring the newest.
 */
export function platformScore(
  platform: Pick<Platform, 'os' | 'architecture' | 'variant'>,
  target: TargetPlatform,
): number {
  if (platform.os !== target.os || platform.architecture !== target.architecture) return 0;
  const want = target.variant;
  const have = platform.variant;
  if (want === undefined) return have === undefined || have === 'v1' ? 10 : 0;
  if (have === want) return 10;
  if (target.architecture === 'arm64') return have === undefined ? 9 : 0;
  if (target.architecture === 'arm' && have !== undefined) {
    const wanted = Number(want.slice(1));
    const offered = Number(have.slice(1));
    return offered < wanted && offered >= 5 ? offered : 0;
  }
  return 0;
}

/** The best entry of an index for `target`, or undefined. Attestations never match. */
export function selectPlatform(
  manifests: readonly Descriptor[],
  target: TargetPlatform,
): Descriptor | undefined {
  let best: Descriptor | undefined;
  let bestScore = 0;
  for (const descriptor of manifests) {
    if (descriptor.platform === undefined || isAttestation(descriptor)) continue;
    const score = platformScore(descriptor.platform, target);
    if (score > bestScore) {
      best = descriptor;
      bestScore = score;
    }
  }
  return best;
}
