// Which end of a call was slow to send (decision 011). A call between two instrumented services is timed twice: by
// the callee's server span (how long it took to answer) and by the caller's client span (how long the caller waited).
// The two differ by the network and by how fast each end sends: a caller starved of CPU reads answers late, a service
// whose network delays its packets answers late and sends its own requests late. When the caller waits clearly longer
// than the callee took, the end whose *other* calls show the same gap is the slow one. Pure: numbers in, numbers out.

/** An edge's totals over a range, with both timings. */
export interface EdgeTimes {
  calls: number;
  errors: number;
  /** Timed by the callee's server spans (by the client spans for an uninstrumented callee). */
  latencySumMs: number;
  /** Timed by the caller's client spans. */
  clientLatencySumMs: number;
  /** Whether the callee has spans of its own: only then do the two timings differ. */
  instrumented: boolean;
}

/** A gap counts when the caller waits this much longer per call than the callee took, and ... */
const GAP_FLOOR_MS = 10;
/** ... this share of the callee's own time (a proxy or a slow network adds a steady few milliseconds to every call). */
const GAP_SHARE = 0.3;

/**
 * The mean time per call the caller waited beyond the callee's answer, when that gap is clear; 0 when it is not (or
 * the edge has no calls, or no server timing to compare with). One call is enough (decision 015): a gap is network and
 * sending time, which lacks the long tail of a call's own time, and sampled traces leave most edges a call or two
 * a window. Each edge then gets one vote in senderEvidence, however many calls it has.
 */
export function driftOf(t: EdgeTimes): number {
  if (!t.instrumented || t.calls === 0) return 0;
  const gap = (t.clientLatencySumMs - t.latencySumMs) / t.calls;
  return gap >= Math.max(GAP_FLOOR_MS, (GAP_SHARE * t.latencySumMs) / t.calls) ? gap : 0;
}

/** What a service's calls with instrumented services say about its sending: counts of calls with and without a gap. */
export interface SenderEvidence {
  /** Its calls to instrumented services (it waited). */
  out: GapCounts;
  /** Instrumented calls to it (its callers waited). */
  in: GapCounts;
  /** Mean gap over all its calls with one, both directions (0 when none). */
  meanGapMs: number;
}

export interface GapCounts {
  gap: number;
  clean: number;
}

/** Counts the gaps on a service's calls: `out` the edges it calls along, `incoming` the edges it is called along. */
export function senderEvidence(out: ReadonlyArray<EdgeTimes | null>, incoming: ReadonlyArray<EdgeTimes | null>): SenderEvidence {
  let gapSum = 0;
  const count = (edges: ReadonlyArray<EdgeTimes | null>): GapCounts => {
    const c = { gap: 0, clean: 0 };
    for (const t of edges) {
      if (t === null || !t.instrumented || t.calls === 0) continue;
      const drift = driftOf(t);
      if (drift > 0) {
        c.gap++;
        gapSum += drift;
      } else c.clean++;
    }
    return c;
  };
  const o = count(out);
  const i = count(incoming);
  const gaps = o.gap + i.gap;
  return { out: o, in: i, meanGapMs: gaps > 0 ? gapSum / gaps : 0 };
}

/**
 * Whose delay the gap on a call caller → callee is, from both ends' *other* calls (the call itself has a gap, so it
 * is taken off both): the caller's, when its other calls out show a gap too (it reads late: starved of CPU), or when
 * it answers late too (its network), or when the callee's other callers wait for it no longer than it takes; the
 * callee's, when its other callers wait too, or its own calls out show a gap (its network), or the caller's other
 * calls out show none. A caller's clean incoming calls say nothing (a starved process still answers on time as far
 * as its own spans can tell), nor do a callee's clean calls out (a leaf has none). A tie, one call with no other to
 * compare, is the callee's: the caller's wait is all there is to see.
 */
export function gapIsCallers(caller: SenderEvidence, callee: SenderEvidence): boolean {
  const callersSide = caller.out.gap - 1 + caller.in.gap + callee.in.clean;
  const calleesSide = callee.in.gap - 1 + callee.out.gap + caller.out.clean;
  return callersSide > calleesSide;
}

/**
 * How much a caller adds to every call it makes, by its calls with instrumented services: its mean gap when most of
 * its calls out show one, or it answers late too; 0 otherwise. Subtracted from its calls to uninstrumented services,
 * which have no other timing.
 */
export function sendingDelayMs(e: SenderEvidence): number {
  const gaps = e.out.gap + e.in.gap;
  return gaps > 0 && gaps > e.out.clean ? e.meanGapMs : 0;
}
