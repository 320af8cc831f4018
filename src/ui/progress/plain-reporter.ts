/**
 * Engine events → lines on stderr: the current build step (marked when cached), layers as they
 * finish, infos and warnings. Quiet enough to read, complete enough to see where time goes.
 */
import type { EngineEvent } from '../../engine/engine-context.js';
import type { PlainOutput } from './output.js';

/** A reporter for one command run. */
export function plainReporter(out: PlainOutput): (event: EngineEvent) => void {
  const seenSteps = new Set<string>();
  return (event) => {
    switch (event.type) {
      case 'build:step': {
        const key = `${event.step}/${event.total}`;
        if (event.cached === true) {
          out.info(out.style('dim', `  step ${key}: cached`));
        } else if (!seenSteps.has(`${key} ${event.instruction}`)) {
          seenSteps.add(`${key} ${event.instruction}`);
          out.info(
            `${out.style('cyan', `step ${key}`)} ${event.instruction.length > 160 ? `${event.instruction.slice(0, 157)}...` : event.instruction}`,
          );
        }
        return;
      }
      case 'build:step-end':
        // Only steps worth waiting for get a line; quick ones would double the output.
        if (event.ms >= 1000)
          out.info(
            out.style('dim', `  step ${event.step}/${event.total}: ${(event.ms / 1000).toFixed(1)} s`),
          );
        return;
      case 'build:output':
        out.info(out.style('dim', `  ${event.line}`));
        return;
      case 'transfer:done':
        out.info(`${event.id}: ${event.skipped === true ? 'already there' : `${event.action} complete`}`);
        return;
      case 'transfer:progress':
        return;
      case 'info':
        out.info(event.message);
        return;
      case 'warning':
        out.warn(event.message);
        return;
    }
  };
}
