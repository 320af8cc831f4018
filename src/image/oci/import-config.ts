/**
 * The image config `docker import` writes for a root filesystem tarball (Docker 20.10, checked with
 * `docker save` of an imported image): every run setting empty or null (no Env, no Cmd, no
 * Entrypoint), one history entry "Imported from -", keys in Docker's order. A base made by either
 * runtime therefore looks the same to everything built on it.
 */

/** The `config` and `container_config` objects of an imported image, in Docker's field order. */
function emptyContainerConfig(labels: Readonly<Record<string, string>> | null) {
  return {
    Hostname: '',
    Domainname: '',
    User: '',
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: null,
    Cmd: null,
    Image: '',
    Volumes: null,
    WorkingDir: '',
    Entrypoint: null,
    OnBuild: null,
    Labels: labels,
  };
}

/** What an imported image's config records. */
export interface ImportConfigInput {
  /** sha256 of the uncompressed layer tar. */
  diffId: string;
  /** OCI architecture (`amd64`, `arm64`…). */
  architecture: string;
  created: Date;
  /** Labels set with `--change LABEL …`; none leaves `Labels` null, as Docker does. */
  labels?: Readonly<Record<string, string>> | undefined;
}

/**
 * The config bytes of a one-layer imported image. Docker also writes `docker_version`, its own
 * version, which devenv has no honest value for, so it is left out.
 */
export function importConfig(input: ImportConfigInput): Buffer {
  const created = input.created.toISOString();
  const labels = input.labels === undefined || Object.keys(input.labels).length === 0 ? null : input.labels;
  return Buffer.from(
    JSON.stringify({
      architecture: input.architecture,
      comment: 'Imported from -',
      config: emptyContainerConfig(labels),
      container_config: emptyContainerConfig(null),
      created,
      history: [{ created, comment: 'Imported from -' }],
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [input.diffId] },
    }),
  );
}
