/** Three environments on one in-memory runtime: this project's (running) and two of other projects. */
import { cleanupFixtures, engineFixture, UP_DETACHED } from '../../helpers/engine-fixture.js';
import type { EngineFixture } from '../../helpers/engine-fixture.js';
import { up } from '../../../src/engine/up.js';
import { stopEnvironment } from '../../../src/engine/lifecycle.js';

export { cleanupFixtures };

/** `api` (this project, running), `web` (stopped) and `scratch` (running), the last two elsewhere. */
export async function threeEnvironments(): Promise<EngineFixture> {
  const api = await engineFixture('api');
  const web = await engineFixture('web', [], {}, api.runtime);
  const scratch = await engineFixture('scratch', [], {}, api.runtime);
  for (const f of [api, web, scratch]) await up(f.context(), f.project, UP_DETACHED);
  await stopEnvironment(web.context(), 'web');
  // Some output for the logs pane.
  const container = api.runtime.containers.get('api');
  if (container !== undefined) container.log += `first line\nhello from api\n${'x'.repeat(5000)}\n`;
  return api;
}
