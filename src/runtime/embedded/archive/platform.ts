/** The platform an image must be for (runtime-spec 1.5): linux on the host's architecture. */

/** A platform as OCI descriptors carry it. */
export interface Platform {
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
};

/** The OCI architecture name of a Node `process.arch` value. */
export function ociArchitecture(nodeArch: string): string {
  return ARCH[nodeArch] ?? nodeArch;
}

/** True when `candidate` runs on `wanted` (an absent variant matches, and arm64 accepts v8). */
export function platformMatches(candidate: Partial<Platform> | undefined, wanted: Platform): boolean {
  if (candidate?.os !== wanted.os || candidate.architecture !== wanted.architecture) return false;
  if (wanted.variant === undefined || candidate.variant === undefined) return true;
  return candidate.variant === wanted.variant;
}

/** `linux/amd64[/v8]`. */
export function formatPlatform(platform: Partial<Platform> | undefined): string {
  if (platform === undefined) return 'unknown';
  return [platform.os ?? '?', platform.architecture ?? '?', platform.variant]
    .filter((p) => p !== undefined)
    .join('/');
}
