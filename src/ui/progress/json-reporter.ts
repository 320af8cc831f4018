/**
 * `--progress=json`: every runtime event as one JSON object on its own line of stderr, as it comes,
 * for tools that draw their own progress. Other stderr lines are JSON too in this mode (see
 * {@link PlainOutput.lineMode}), and stdout still holds only the result.
 */
import type { RuntimeEvent } from '../../runtime/events.js';
import type { PlainOutput } from '../plain/output.js';

/** A reporter writing `event` lines such as `{"type":"build:step","step":1,"total":3,...}`. */
export function jsonReporter(out: PlainOutput): (event: RuntimeEvent) => void {
  return (event) => {
    out.jsonLine(event);
  };
}
