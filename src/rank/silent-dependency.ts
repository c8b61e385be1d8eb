// How failing a dependency that raised nothing looks from its callers, when no calls into it can tell (decisions 018–020):
// what databases, queues and external APIs without alert rules of their own show of a failure. Pure.
import { downstreamOf, type DependencyGraph } from '../topology/dependency-graph.js';
import { callsTell } from './trace-signals.js';
import { alertsFailing, failsInIncident, onlySlows, type ServiceFacts } from './service-facts.js';
import type { RankingInput } from './ranking-input.js';

/** Without calls to judge, this many failing callers are needed to see a silent dependency fail through them. */
const FAILING_CALLERS_SEEN = 2;
/**
 * Without calls to judge, how likely one failing caller's failure began below it, in one of its dependencies with no
 * alert, rather than in the caller itself: as likely as not (decision 018, second addendum).
 */
const ONE_CALLER_BELOW = 0.5;

/** How failing a silent dependency looks from its callers (failingCallers). */
export interface FailingCallers {
  failing: number;
  all: number;
  elsewhere: number;
  /** 0..1: stands in for its anomaly. */
  share: number;
  /** Whether every failing caller counted only slowed (latency alerts, or calls into it that only slowed). */
  slowOnly: boolean;
  /**
   * When one caller fails: that caller, and how many of its dependencies (this one included) are silent: no alert of
   * their own, and no calls of the caller that traces judge.
   */
  onlyCaller?: string;
  silentBeside?: number;
}

/**
 * How failing a dependency with no alert looks from its direct callers, when no calls can judge the incident or none into
 * the dependency can (third addendum); undefined when it does not. A dependency with no alert rules of its own (most
 * databases, queues, external APIs) shows a failure only through its callers:
 * - two or more of them failing at once (FAILING_CALLERS_SEEN) is what one failing dependency looks like, and their
 *   share is how far it looks failing (decision 018). A failing caller with another dependency that alerts, one its
 *   failure cannot have come through from this service, fails through that one (`elsewhere`): a frontend calls dozens
 *   of services, and when one of them alerts, the others are no likelier to be failing than before (addendum);
 * - one failing caller, alerting on a failure, is as likely where its failure began as anything below it
 *   (ONE_CALLER_BELOW): each of its dependencies with no alert and no calls that tell takes its posterior share
 *   (second addendum). Calls into the candidate that do tell, however few, say whether it failed: then traces decide.
 *   A database only its own service uses ranks beside that service.
 * O(callers × their callees), each callee's downstream search remembered by the graph.
 */
export function failingCallers(
  input: RankingInput,
  facts: ReadonlyMap<string, ServiceFacts>,
  service: string,
  /** No calls into the service tell (callsInto). */
  untold: boolean,
  maxDepth: number,
  explainedBelow: (caller: string) => boolean,
): FailingCallers | undefined {
  const graph = input.graph;
  if (!graph.hasNode(service)) return undefined;
  const { firstFailing, ...callers } = countFailingCallers(graph, facts, service, maxDepth, input.failingNearby, undefined, explainedBelow, (caller) =>
    onlySlows(facts.get(caller)!),
  );
  if (callers.failing >= FAILING_CALLERS_SEEN) return { ...callers, share: callers.failing / callers.all };
  const caller = callers.failing === 1 ? firstFailing : undefined;
  if (caller === undefined || !alertsFailing(facts, caller) || !untold) return undefined;
  const edge = input.traceSignals.edge;
  // Before the traces, ONE_CALLER_BELOW (p) of the caller's failure lies below it, spread evenly over its dependencies
  // with no alert (quiet); calls seen healthy clear some of those, which leaves the caller itself likelier: each one
  // left (silent) holds (p / quiet) / (1 − p + p · silent / quiet) = p / ((1 − p) · quiet + p · silent).
  let quiet = 0;
  let silent = 0;
  graph.forEachOutNeighbor(caller, (dependency) => {
    if ((facts.get(dependency)?.alerts.length ?? 0) > 0) return;
    quiet++;
    if (!callsTell(edge?.(caller, dependency))) silent++;
  });
  const p = ONE_CALLER_BELOW;
  return { ...callers, share: p / ((1 - p) * quiet + p * silent), onlyCaller: caller, silentBeside: silent };
}

/**
 * A dependency's direct callers (`all`), those of them that fail in the incident or, outside it, in `nearby`
 * (`failing`, the first of them `firstFailing`), and those that fail but through another dependency that alerts, or
 * whose calls to another one traces show failing (`explainedBelow`) (`elsewhere`, not in `failing`); an outside
 * caller's other dependencies are read over `nearby` too. Callers `skip` names are not asked.
 */
function countFailingCallers(
  graph: DependencyGraph,
  facts: ReadonlyMap<string, ServiceFacts>,
  service: string,
  maxDepth: number,
  nearby?: ReadonlySet<string>,
  skip?: (caller: string) => boolean,
  explainedBelow?: (caller: string) => boolean,
  /** Asked of each failing caller in the incident only when given: the evidence's wording, not the share. */
  slows?: (caller: string) => boolean,
): { failing: number; all: number; elsewhere: number; firstFailing: string | undefined; slowOnly: boolean } {
  let all = 0;
  let failing = 0;
  let elsewhere = 0;
  let slow = 0;
  let firstFailing: string | undefined;
  graph.forEachInNeighbor(service, (caller) => {
    all++;
    if (skip?.(caller)) return;
    const inside = failsInIncident(facts, caller);
    if (!inside && !nearby?.has(caller)) return;
    if (failsThroughAnother(graph, facts, caller, service, maxDepth, inside ? undefined : nearby) || explainedBelow?.(caller)) elsewhere++;
    else {
      if (failing++ === 0) firstFailing = caller;
      if (inside && slows?.(caller)) slow++;
    }
  });
  return { failing, all, elsewhere, firstFailing, slowOnly: failing > 0 && slow === failing };
}

/**
 * How failing a silent dependency of `candidate` looks from its other callers, 0..1, when no calls can be judged: the
 * share of its direct callers that fail in the incident, `candidate` among them, once one or more do that `candidate`
 * cannot explain. A caller above `candidate` may fail through it, and one that fails through another alerting
 * dependency says nothing about this one (failsThroughAnother); those are not counted. With FAILING_CALLERS_SEEN in all,
 * `candidate` is likelier the dependency's victim than the root: the dependency explains them both (decision 019).
 * O(its callers × their callees).
 */
export function failureShownBeside(
  graph: DependencyGraph,
  facts: ReadonlyMap<string, ServiceFacts>,
  dependency: string,
  candidate: string,
  upstreamOfCandidate: ReadonlyMap<string, number>,
  maxDepth: number,
  nearby?: ReadonlySet<string>,
): number {
  const beside = countFailingCallers(graph, facts, dependency, maxDepth, nearby, (caller) => caller === candidate || upstreamOfCandidate.has(caller));
  const failing = beside.failing + (failsInIncident(facts, candidate) ? 1 : 0);
  return beside.failing > 0 && failing >= FAILING_CALLERS_SEEN ? failing / beside.all : 0;
}

/**
 * Whether another dependency of `caller` alerts on a failure (in the incident, or in `nearby`) that cannot come from
 * `service` (not within maxDepth calls below it).
 */
function failsThroughAnother(
  graph: DependencyGraph,
  facts: ReadonlyMap<string, ServiceFacts>,
  caller: string,
  service: string,
  maxDepth: number,
  nearby?: ReadonlySet<string>,
): boolean {
  let found = false;
  graph.forEachOutNeighbor(caller, (callee) => {
    if (found || callee === service) return;
    const c = facts.get(callee);
    const alertsFailing = (c !== undefined && c.alerts.length > 0 && c.failure > 0) || nearby?.has(callee) === true;
    if (alertsFailing && !downstreamOf(graph, callee, maxDepth).has(service)) found = true;
  });
  return found;
}
