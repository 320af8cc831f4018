/** `--progress=quiet`: no progress at all; warnings still reach stderr (errors come from main). */
import type { RuntimeEvent } from '../../runtime/events.js';
import type { PlainOutput } from '../plain/output.js';

export function quietReporter(out: PlainOutput): (event: RuntimeEvent) => void {
  return (event) => {
    if (event.type === 'warning') out.warn(event.message);
  };
}
