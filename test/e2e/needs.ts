/**
 * What an e2e test needs of the services the global setup started and of this machine. `lacks`
 * goes in `describe.skipIf(…)`/`it.skipIf(…)`: it prints what is missing, and under
 * DEVENV_E2E=require it fails the file instead of skipping (see test/helpers/requirements.ts).
 */
import { existsSync } from 'node:fs';
import { inject } from 'vitest';
import { isRoot, skipUnless } from '../helpers/requirements.js';

const services = inject('services');

const have = {
  docker: [services.dockerHost !== '', 'a dockerd (the e2e setup starts one when run as root)'],
  registry: [services.registry !== '', 'a loopback registry (docker-registry)'],
  'auth-registry': [services.authRegistry !== '', 'a registry with basic auth (htpasswd, apache2-utils)'],
  debian: [services.debianImage !== '', 'the Debian base image (debootstrap)'],
  root: [isRoot, 'root'],
  xvfb: [existsSync('/usr/bin/Xvfb'), 'Xvfb (xvfb)'],
} as const satisfies Record<string, readonly [boolean, string]>;

/** A requirement of an e2e test. */
export type Need = keyof typeof have;

/** True, after printing which, when one of `needs` is missing; throws under DEVENV_E2E=require. */
export function lacks(...needs: Need[]): boolean {
  const entries = needs.map((need): [string, boolean] => [have[need][1], have[need][0]]);
  return skipUnless('these tests', Object.fromEntries(entries));
}
