/**
 * Turns `docker build` output into runtime events: the classic builder's `Step 3/7 : RUN make` and
 * ` ---> Using cache`, and BuildKit's plain progress `#7 [3/7] RUN make` / `#7 CACHED`.
 */
import type { RuntimeEvent } from '../events.js';
import { pullProblem } from '../image-not-found.js';

const CLASSIC_STEP = /^Step (\d+)\/(\d+) : (.*)$/;
const BUILDKIT_STEP = /^#(\d+) \[(?:[\w.-]+ )?(\d+)\/(\d+)\] (.*)$/;
const NOISE = [
  /^DEPRECATED: The legacy builder is deprecated/,
  /^\s+(Install the buildx component|https:\/\/docs\.docker\.com\/go\/buildx)/,
  /^\s*$/,
  /^Sending build context to Docker daemon/,
  /^ ---> Running in /,
  /^Removing intermediate container /,
  /^ ---> [0-9a-f]{12}$/,
];

/** Keeps the state needed across lines (the last step, so a cache hit can be attributed to it). */
export class BuildOutputParser {
  private lastStep: { step: number; total: number; instruction: string } | undefined;

  /** Events for one output line (possibly none). */
  line(raw: string): RuntimeEvent[] {
    const line = raw.replace(/\r$/, '');
    const classic = CLASSIC_STEP.exec(line);
    if (classic !== null) {
      this.lastStep = { step: Number(classic[1]), total: Number(classic[2]), instruction: classic[3] ?? '' };
      return [{ type: 'build:step', ...this.lastStep }];
    }
    const kit = BUILDKIT_STEP.exec(line);
    if (kit !== null) {
      this.lastStep = { step: Number(kit[2]), total: Number(kit[3]), instruction: kit[4] ?? '' };
      return [{ type: 'build:step', ...this.lastStep }];
    }
    if ((line === ' ---> Using cache' || /^#\d+ CACHED$/.test(line)) && this.lastStep !== undefined) {
      return [{ type: 'build:step', ...this.lastStep, cached: true }];
    }
    if (NOISE.some((pattern) => pattern.test(line))) return [];
    // A missing or unreachable base is reported once, as a DevenvError naming the image; docker's own words for it
    // would only say the same thing twice.
    if (this.pullingImage() !== undefined && pullProblem(line) !== undefined) return [];
    return [{ type: 'build:output', line }];
  }

  /** The image the current step pulls, when that step is a `FROM` of an image (not `scratch`). */
  pullingImage(): string | undefined {
    const from = /^FROM\s+(\S+)/i.exec(this.lastStep?.instruction ?? '')?.[1];
    return from === undefined || from === 'scratch' ? undefined : from;
  }
}
