/** Which package manager and shell a base image's name tells, mirrors and pull-through caches included. */
import { describe, expect, it } from 'vitest';
import { detectPackageManager, knownShell } from '../../src/config/detect.js';

describe('detectPackageManager', () => {
  it.each([
    ['debian:bookworm', 'apt'],
    ['127.0.0.1:5000/debian:bookworm', 'apt'],
    ['registry.example:5000/debian:bookworm', 'apt'],
    ['registry.lan/library/ubuntu', 'apt'],
    ['artifactory.corp/docker-remote/library/ubuntu:22.04', 'apt'],
    ['harbor.corp/dockerhub/kalilinux/kali-rolling', 'apt'],
    ['registry.lan/mirror/alpine:3.20', 'apk'],
    ['registry.lan/fedora:40', 'dnf'],
    ['quay.io/centos/centos:stream9', 'dnf'],
    ['mirror.corp/quay/centos/centos', 'dnf'],
    ['centos:7', 'yum'],
    ['registry.lan/centos:8', 'dnf'],
    ['registry.access.redhat.com/ubi9/ubi', 'dnf'],
    ['registry.access.redhat.com/ubi9/ubi-minimal', 'microdnf'],
    ['registry.lan/archlinux/archlinux', 'pacman'],
    ['registry.opensuse.org/opensuse/leap:15.6', 'zypper'],
    ['harbor.corp/proxy/opensuse/tumbleweed', 'zypper'],
  ])('%s → %s', (image, manager) => {
    expect(detectPackageManager(image)).toBe(manager);
  });

  it.each([
    'registry.lan/team/devbase:1',
    'registry.lan/team/debian-dev',
    'registry.lan/leap',
    'registry.lan/team/base',
    'debian-slim',
  ])('%s says nothing', (image) => {
    expect(detectPackageManager(image)).toBeUndefined();
    expect(knownShell(image)).toBeUndefined();
  });

  it('knows the shell of a mirrored image by the same name', () => {
    expect(knownShell('127.0.0.1:5000/debian:bookworm')).toBe('/bin/bash');
    expect(knownShell('registry.lan/mirror/alpine')).toBe('/bin/sh');
  });
});
