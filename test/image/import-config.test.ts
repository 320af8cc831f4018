/** The config of an imported root filesystem equals what Docker 20.10's `docker import` writes. */
import { describe, expect, it } from 'vitest';
import { importConfig } from '../../src/image/oci/import-config.js';

/** `docker save` of `docker import --change 'LABEL dev.devenv.bootstrap=debian:bookworm' - c-imp:2` on 20.10.24. */
const DOCKER_IMPORTED =
  '{"architecture":"amd64","comment":"Imported from -","config":{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,"Cmd":null,"Image":"","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{"dev.devenv.bootstrap":"debian:bookworm"}},"container_config":{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,"Cmd":null,"Image":"","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":null},"created":"2026-12-01T20:32:09.274Z","docker_version":"20.10.24+dfsg1","history":[{"created":"2026-12-01T20:32:09.274Z","comment":"Imported from -"}],"os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:76bef6ae8ad695ff8660d250c196ba1275824615ec8a65260267531ac9aa9742"]}}';

describe('importConfig', () => {
  const input = {
    diffId: 'sha256:76bef6ae8ad695ff8660d250c196ba1275824615ec8a65260267531ac9aa9742',
    architecture: 'amd64',
    created: new Date('2026-12-01T20:32:09.274Z'),
  };

  it("is Docker's config, field for field and in Docker's order, but for docker_version", () => {
    const docker = JSON.parse(DOCKER_IMPORTED) as Record<string, unknown>;
    delete docker['docker_version'];
    const ours = importConfig({ ...input, labels: { 'dev.devenv.bootstrap': 'debian:bookworm' } }).toString();
    expect(ours).toBe(JSON.stringify(docker));
  });

  it('leaves Labels null without labels, as docker import without --change does', () => {
    const config = JSON.parse(importConfig(input).toString()) as { config: { Labels: unknown } };
    expect(config.config.Labels).toBeNull();
    expect(JSON.parse(importConfig({ ...input, labels: {} }).toString())).toEqual(config);
  });
});
