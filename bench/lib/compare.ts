/**
 * One comparison: devenv's command and its peers' in a single hyperfine run, so they share the
 * machine's state of the moment. Each peer becomes a row with devenv's median beside its own.
 */
import { hyperfine } from './hyperfine.js';
import type { TimedCommand } from './hyperfine.js';
import type { BenchContext, Row } from './types.js';

/** A peer to time; one that cannot be had here (not a failure); or one whose setup failed. */
export type Peer =
  | (TimedCommand & { unavailable?: undefined; failed?: undefined })
  | { name: string; unavailable: string; failed?: undefined }
  | { name: string; failed: string; unavailable?: undefined };

function isTimed(peer: Peer): peer is TimedCommand & Peer {
  return peer.unavailable === undefined && peer.failed === undefined;
}

/** Times devenv against every available peer; a failure comes back in the rows, never thrown. */
export async function compare(
  ctx: BenchContext,
  benchmark: string,
  devenv: Omit<TimedCommand, 'name'>,
  peers: readonly Peer[],
): Promise<Row[]> {
  const timed = peers.filter(isTimed);
  ctx.log(`${benchmark}: devenv vs ${peers.map((p) => p.name).join(', ')}`);
  try {
    const [devenvMs, ...peerMs] = await hyperfine([{ name: 'devenv', ...devenv }, ...timed], {
      runs: ctx.runs,
      warmup: ctx.warmup,
      env: ctx.env,
    });
    return peers.map((peer): Row => {
      if (peer.unavailable !== undefined)
        return { benchmark, devenvMs, peer: peer.name, peerUnavailable: peer.unavailable };
      if (peer.failed !== undefined) return { benchmark, devenvMs, peer: peer.name, error: peer.failed };
      return { benchmark, devenvMs, peer: peer.name, peerMs: peerMs[timed.indexOf(peer)] };
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return peers.map((peer) => ({ benchmark, peer: peer.name, error: message }));
  }
}
