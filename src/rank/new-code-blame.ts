// Whether a failing service fails only on what one caller's new code sends it (decisions 026, 028, 030, 031, 035): then
// the caller's deploy, not the service, is where the failure began. Pure.
import type { Change } from '../model/change.js';
import { callsTell, MIN_CALLS, type VersionSplit } from './trace-signals.js';
import { deployStrength } from './deploy-strength.js';
import { BAD_CALLS } from './failure-reach.js';
import type { FirstFailures } from './service-facts.js';
import type { RankingInput } from './ranking-input.js';

/** How much of a reported deploy's strength counts when no calls tell that the dependency fails only for its caller. */
const UNTOLD_DEPLOY_SHARE = 0.5;

/** A service whose failing calls all come from one caller whose new code is what changed (failingOnlyForNewCode). */
export interface CallerVersionBlame {
  caller: string;
  /** How clearly the caller's new code is the change (its VersionSplit's strength, or its deploy's recency): how much of the failure is its doing. */
  share: number;
  /** Calls into the service show it failing for this caller alone; else only the deploy and the onsets say so (decision 030). */
  shownOnCalls: boolean;
  /** The caller's calls into the service by its version, when their split is what shows it (decision 031). */
  callsByVersion?: VersionSplit;
  /** Other callers whose calls fail too, and the blamed caller's share of the failed calls (decision 035). */
  alsoFailing?: { callers: string[]; callerShare: number };
}

/**
 * Whether `service` fails only for one caller whose new code sends it what it cannot take: the caller's newer version
 * fails while its older one serves well (decision 026), or the caller deployed shortly before the onset while calls
 * from another caller still succeed and nothing of the service's own changed (decision 028). When calls from other
 * callers fail too, only a caller's calls splitting by its version still say so, for its share of the failed calls
 * (decision 035, oneCallersNewCodeAmongSeveral). Null when the failing caller shows no such change. When no calls into
 * it tell, the alerts' onsets and a reported deploy decide, at half the share (decision 030, deployedCallerFailingFirst).
 */
export function failingOnlyForNewCode(
  input: RankingInput,
  service: string,
  recentChanges: ReadonlyMap<string, Change>,
  firstFailureAt: () => FirstFailures,
): CallerVersionBlame | null {
  if (!input.graph.hasNode(service)) return null;
  const failingCallers: FailingCaller[] = [];
  let healthyBeside = false;
  let told = false;
  if (input.traceSignals.edge !== undefined)
    input.graph.forEachInNeighbor(service, (caller) => {
      const calls = input.traceSignals.edge!(caller, service);
      if (!callsTell(calls)) return;
      told = true;
      if (calls.errorAnomaly < BAD_CALLS) healthyBeside ||= calls.callsNow >= MIN_CALLS;
      else failingCallers.push({ caller, errors: calls.callsNow * calls.errorRateNow });
    });
  if (!told) return deployedCallerFailingFirst(input, service, recentChanges, firstFailureAt());
  if (failingCallers.length === 0) return null;
  if (failingCallers.length > 1) return oneCallersNewCodeAmongSeveral(input, service, failingCallers);
  const failing = failingCallers[0]!.caller;
  const split = input.traceSignals.get(failing)?.versionSplit;
  if (split?.symptom === 'errors') return { caller: failing, share: split.strength, shownOnCalls: true };
  // The caller's own calls into the service, by its version: the newer one's fail beside the older one's succeeding in
  // the same minutes (decision 031). Only the code that sends them differs: the same caller, the same service.
  const byVersion = input.traceSignals.edgeVersionSplit?.(failing, service);
  if (byVersion?.symptom === 'errors') return { caller: failing, share: byVersion.strength, shownOnCalls: true, callsByVersion: byVersion };
  // A reported deploy says less than a split: the service may fail for that caller alone for a reason of its own
  // (one endpoint only that caller uses). Calls from another caller succeeding in the same minutes, and no change of
  // the service's own, leave the caller's new code as the one change the failure follows.
  if (!healthyBeside || recentChanges.has(service) || input.traceSignals.get(service)?.versionSplit) return null;
  const change = recentChanges.get(failing);
  if (!change || change.at > input.onset) return null;
  return { caller: failing, share: deployStrength(change, input.onset), shownOnCalls: true };
}

interface FailingCaller {
  caller: string;
  /** Its failed calls into the service over the ranking's window. */
  errors: number;
}

/**
 * When calls from several callers fail (decision 035): the service fails for more than one caller's code, so a
 * caller's deploy or its own failing version no longer says what breaks it. Its calls into the service splitting by
 * its version still do, for the caller whose calls split: the same caller's older code is served well in the same
 * minutes. That caller's new code then accounts for its share of the service's failed calls; the rest stay the
 * service's own. Null when no failing caller's calls split, or more than one's do.
 */
function oneCallersNewCodeAmongSeveral(input: RankingInput, service: string, failingCallers: readonly FailingCaller[]): CallerVersionBlame | null {
  let blamed: { caller: string; errors: number; split: VersionSplit } | null = null;
  let errors = 0;
  for (const f of failingCallers) {
    errors += f.errors;
    const split = input.traceSignals.edgeVersionSplit?.(f.caller, service);
    if (split?.symptom !== 'errors') continue;
    if (blamed !== null) return null;
    blamed = { ...f, split };
  }
  if (blamed === null || !(errors > 0)) return null;
  const callerShare = blamed.errors / errors;
  const callers = failingCallers.filter((f) => f.caller !== blamed.caller).map((f) => f.caller);
  return { caller: blamed.caller, share: blamed.split.strength * callerShare, shownOnCalls: true, callsByVersion: blamed.split, alsoFailing: { callers, callerShare } };
}

/**
 * Without calls into `service` that tell (decision 030): its errors follow its one failing caller's deploy when that
 * caller deployed before the onset and erred no later than it, and nothing of its own changed. Null otherwise.
 */
function deployedCallerFailingFirst(
  input: RankingInput,
  service: string,
  recentChanges: ReadonlyMap<string, Change>,
  firstFailureAt: FirstFailures,
): CallerVersionBlame | null {
  // New code sends what a dependency cannot take: the dependency answers with errors, not merely slowly.
  const failingSince = firstFailureAt.errors.get(service);
  if (failingSince === undefined || recentChanges.has(service) || input.traceSignals.get(service)?.versionSplit) return null;
  let failing: string | null = null;
  let several = false;
  input.graph.forEachInNeighbor(service, (caller) => {
    if (!firstFailureAt.any.has(caller)) return;
    if (failing === null) failing = caller;
    else several = true;
  });
  if (failing === null || several) return null;
  // Its new code's failing requests fail it too, as errors, from the first minute.
  const callerFailingSince = firstFailureAt.errors.get(failing);
  if (callerFailingSince === undefined || callerFailingSince > failingSince) return null;
  const change = recentChanges.get(failing);
  if (!change || change.at > input.onset) return null;
  return { caller: failing, share: deployStrength(change, input.onset) * UNTOLD_DEPLOY_SHARE, shownOnCalls: false };
}
