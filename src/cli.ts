#!/usr/bin/env node
/**
 * The devenv executable. Reads the ambient facts (argv, cwd, env, home, user, streams) once and hands
 * them to {@link main}; nothing below this file reads them itself.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { main } from './main.js';
import { configureFailpoints } from './util/failpoint.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};
const info = os.userInfo();
configureFailpoints(process.env['DEVENV_FAILPOINTS']);

const status = await main({
  argv: process.argv.slice(2),
  cwd: process.cwd(),
  env: process.env,
  homeDir: os.homedir(),
  hostUser: { name: info.username, uid: info.uid, gid: info.gid },
  arch: process.arch,
  platform: process.platform,
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  version: pkg.version,
});
process.exitCode = status;
