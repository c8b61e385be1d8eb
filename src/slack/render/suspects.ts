// A suspected root cause as a section: name, score, strongest evidence first, and a "Confirm" button.
import type { RootCause } from '../../model/incident.js';
import { ACTION_IDS, type ActionRefs } from '../action-refs.js';
import { button, escapeMrkdwn, fitLines, section, truncate, type Block } from './block-kit.js';
import { formatScore } from './text-format.js';

/**
 * Evidence kinds in the order an engineer wants them: what changed (a deploy, a new version failing beside the old),
 * where the trouble starts (errors its own spans raise, its own resources saturated or its process down), then the
 * rest. Kinds not listed come last.
 */
const EVIDENCE_ORDER = ['deploy', 'version', 'error-origin', 'saturation', 'traces', 'alerts', 'topology', 'onset', 'history'];

export function strongestEvidence(rc: RootCause): RootCause['evidence'] {
  const rank = (k: string) => {
    const i = EVIDENCE_ORDER.indexOf(k);
    return i < 0 ? EVIDENCE_ORDER.length : i;
  };
  return [...rc.evidence].sort((a, b) => rank(a.kind) - rank(b.kind));
}

export interface SuspectOptions {
  incidentId: string;
  rank: number;
  evidence: number;
  /** When given, the section gets a Confirm button whose value is an opaque ref. */
  refs?: ActionRefs;
  confirmed?: boolean;
  rejected?: boolean;
}

export function suspectBlock(rc: RootCause, o: SuspectOptions): Block {
  const mark = o.confirmed ? ' :white_check_mark: _confirmed_' : o.rejected ? ' :x: _not it_' : '';
  const head = `*${o.rank}. ${escapeMrkdwn(rc.service)}* — score ${formatScore(rc.score)}${mark}`;
  const evidence = strongestEvidence(rc)
    .slice(0, o.evidence)
    .map((e) => `> ${truncate(escapeMrkdwn(e.detail), 400)}`);
  const more = rc.evidence.length > o.evidence ? [`_+${rc.evidence.length - o.evidence} more evidence in \`/rca ${o.incidentId}\`_`] : [];
  const accessory =
    o.refs && !o.confirmed
      ? button('Confirm root cause', ACTION_IDS.confirmRootCause, o.refs.add({ kind: 'suspect', incidentId: o.incidentId, service: rc.service }), 'primary')
      : undefined;
  return section(fitLines([head, ...evidence, ...more]), accessory);
}
