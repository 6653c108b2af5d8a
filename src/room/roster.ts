/**
 * The pure rules that make a room converge to one full mesh: who dials whom, which of two
 * connections between the same pair survives, and which gossiped participants are new.
 */
import type { RosterEntry } from '../signalling/protocol.js';

/** Of a pair of participants, the one with the smaller id dials the other. */
export function shouldDial(selfId: string, remoteId: string): boolean {
  return selfId < remoteId;
}

/**
 * When two connections join the same pair, both sides keep the one dialed by the smaller id,
 * so they agree without talking. Returns true when the new connection should replace the old.
 */
export function preferNewConnection(existingDialer: string, newDialer: string): boolean {
  return newDialer < existingDialer;
}

/**
 * The entries of a gossiped roster that this participant should connect to: not itself,
 * not already linked or being dialed, not known to have left. Duplicates are dropped.
 */
export function newcomers(
  entries: readonly RosterEntry[],
  selfId: string,
  known: ReadonlySet<string>,
  departed: ReadonlySet<string>,
): RosterEntry[] {
  const seen = new Set<string>();
  return entries.filter((entry) => {
    if (entry.id === selfId || known.has(entry.id) || departed.has(entry.id) || seen.has(entry.id)) return false;
    seen.add(entry.id);
    return true;
  });
}

/**
 * How many more participants rosters may make us dial: a full room is `maxParticipants`, so
 * links and dials under way together stay below it, however many ids a roster names. Without
 * this, one roster of made-up ids makes us dial each (an offer and candidates through the
 * broker apiece), until the broker's rate limit cuts our own socket off.
 */
export function dialAllowance(maxParticipants: number, linked: number, dialing: number): number {
  return Math.max(0, maxParticipants - 1 - linked - dialing);
}
