// What an incident message needs beyond the report: worst severity, alert counts and a timeline, read from the
// engine after an analysis. Pure: engine state and `now` in, plain data out (stored for /rca and the notifier).
import type { Alert, Severity } from '../model/alert.js';
import type { IncidentFix } from '../model/history.js';
import type { IncidentReport } from '../model/incident.js';
import type { Engine } from '../engine/engine.js';
import { decisiveRoot } from '../engine/same-failure.js';

export type TimelineKind = 'first-alert' | 'alerts-joined' | 'deploy' | 'alerts-resolved' | 'incident-resolved';

export interface TimelineEntry {
  at: number;
  kind: TimelineKind;
  text: string;
}

export interface IncidentContext {
  incidentId: string;
  severity: Severity;
  firingAlerts: number;
  resolvedAlerts: number;
  /** Most frequent alert names first, at most 10. */
  alertNames: Array<{ name: string; count: number }>;
  /** Services by firing alerts, most first, at most 20. */
  serviceAlerts: Array<{ service: string; firing: number; total: number }>;
  firstAlertAt: number | null;
  resolvedAt: number | null;
  /** Oldest first; long timelines keep their head and tail, `timelineOmitted` counts the middle. */
  timeline: TimelineEntry[];
  timelineOmitted: number;
  /** Other open incidents whose ranking blames the same root cause decisively (sameRootIncidents); absent when none. */
  sameRoot?: { service: string; incidents: Array<{ id: string; openedAt: string }> };
  /** What fixed the report's similar past incidents, by their id, for those whose history says; absent when none does. */
  pastFixes?: Record<string, IncidentFix>;
}

const SEVERITY_ORDER: readonly Severity[] = ['critical', 'error', 'warning', 'info', 'unknown'];
const MINUTE = 60_000;
/** A deploy this long before the first alert still belongs on the timeline (the ranking's lookback). */
const DEPLOY_LOOKBACK_MS = 60 * MINUTE;
const TIMELINE_HEAD = 12;
const TIMELINE_TAIL = 18;

export function worstSeverity(severities: Iterable<Severity>): Severity {
  let best = SEVERITY_ORDER.length - 1;
  for (const s of severities) best = Math.min(best, SEVERITY_ORDER.indexOf(s));
  return SEVERITY_ORDER[best]!;
}

function minuteOf(ms: number): number {
  return Math.floor(ms / MINUTE) * MINUTE;
}

function names(alerts: readonly Alert[], max: number): string {
  const labels = alerts.map((a) => (a.service ? `${a.name} on ${a.service}` : a.name));
  const uniq = [...new Set(labels)];
  return uniq.length <= max ? uniq.join(', ') : `${uniq.slice(0, max).join(', ')} and ${uniq.length - max} more`;
}

/** Groups alerts per minute so 500 alerts joining make a handful of entries, not 500. */
function groupByMinute(alerts: readonly Alert[], at: (a: Alert) => number): Map<number, Alert[]> {
  const out = new Map<number, Alert[]>();
  for (const a of [...alerts].sort((x, y) => at(x) - at(y) || x.fingerprint.localeCompare(y.fingerprint))) {
    const m = minuteOf(at(a));
    const list = out.get(m);
    if (list) list.push(a);
    else out.set(m, [a]);
  }
  return out;
}

export function describeIncidentContext(engine: Engine, report: IncidentReport, now: number, sameRoot?: IncidentContext['sameRoot']): IncidentContext {
  const alerts = report.alerts.map((fp) => engine.alerts.get(fp)).filter((a): a is Alert => a !== undefined && a.startsAt <= now);
  const firing = alerts.filter((a) => a.status === 'firing');
  const resolved = alerts.filter((a) => a.status === 'resolved');

  const nameCounts = new Map<string, number>();
  for (const a of alerts) nameCounts.set(a.name, (nameCounts.get(a.name) ?? 0) + 1);
  const perService = new Map<string, { firing: number; total: number }>();
  for (const a of alerts) {
    if (a.service === '') continue;
    const s = perService.get(a.service) ?? { firing: 0, total: 0 };
    s.total++;
    if (a.status === 'firing') s.firing++;
    perService.set(a.service, s);
  }

  const timeline: TimelineEntry[] = [];
  const sorted = [...alerts].sort((a, b) => a.startsAt - b.startsAt || a.fingerprint.localeCompare(b.fingerprint));
  const first = sorted[0];
  if (first) {
    timeline.push({ at: first.startsAt, kind: 'first-alert', text: `First alert: ${names([first], 1)}` });
    for (const [m, group] of groupByMinute(sorted.slice(1), (a) => a.startsAt)) {
      timeline.push({ at: m, kind: 'alerts-joined', text: `${group.length} alert${group.length === 1 ? '' : 's'} joined: ${names(group, 3)}` });
    }
    const ended = resolved.filter((a) => a.endsAt !== null && a.endsAt <= now);
    for (const [m, group] of groupByMinute(ended, (a) => a.endsAt!)) {
      timeline.push({ at: m, kind: 'alerts-resolved', text: `${group.length} alert${group.length === 1 ? '' : 's'} resolved: ${names(group, 3)}` });
    }
  }
  const involved = new Set([...report.services, ...report.rootCauses.slice(0, 3).map((r) => r.service)]);
  const since = (first?.startsAt ?? now) - DEPLOY_LOOKBACK_MS;
  for (const c of engine.changes.values()) {
    if (!involved.has(c.service) || c.at < since || c.at > now) continue;
    const from = c.previousVersion ? ` (from ${c.previousVersion})` : '';
    const by = c.author ? ` by ${c.author}` : '';
    timeline.push({ at: c.at, kind: 'deploy', text: `Deploy: ${c.service} ${c.version}${from}${by}` });
  }
  const tracked = engine.tracker.incidents.get(report.id);
  const resolvedAt = report.status === 'resolved' ? (tracked?.resolvedAt ?? null) : null;
  if (resolvedAt !== null) timeline.push({ at: resolvedAt, kind: 'incident-resolved', text: 'Incident resolved: every alert has resolved' });
  const kindOrder: TimelineKind[] = ['deploy', 'first-alert', 'alerts-joined', 'alerts-resolved', 'incident-resolved'];
  timeline.sort((a, b) => a.at - b.at || kindOrder.indexOf(a.kind) - kindOrder.indexOf(b.kind) || a.text.localeCompare(b.text));

  const omitted = Math.max(0, timeline.length - TIMELINE_HEAD - TIMELINE_TAIL);
  const kept = omitted > 0 ? [...timeline.slice(0, TIMELINE_HEAD), ...timeline.slice(timeline.length - TIMELINE_TAIL)] : timeline;

  return {
    incidentId: report.id,
    severity: worstSeverity(alerts.map((a) => a.severity)),
    firingAlerts: firing.length,
    resolvedAlerts: resolved.length,
    alertNames: [...nameCounts]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, 10)
      .map(([name, count]) => ({ name, count })),
    serviceAlerts: [...perService]
      .sort((a, b) => b[1].firing - a[1].firing || b[1].total - a[1].total || a[0].localeCompare(b[0]))
      .slice(0, 20)
      .map(([service, s]) => ({ service, ...s })),
    firstAlertAt: first?.startsAt ?? null,
    resolvedAt,
    timeline: kept,
    timelineOmitted: omitted,
    ...(sameRoot ? { sameRoot } : {}),
    ...pastFixesOf(engine, report),
  };
}

/** What fixed each of the report's similar incidents, as the engine's history says. */
function pastFixesOf(engine: Engine, report: IncidentReport): { pastFixes?: Record<string, IncidentFix> } {
  const fixes: Record<string, IncidentFix> = {};
  for (const s of report.similarIncidents) {
    const fix = engine.history.get(s.id)?.remediation;
    if (fix) fixes[s.id] = fix;
  }
  return Object.keys(fixes).length > 0 ? { pastFixes: fixes } : {};
}

/** Open incidents this far apart in opening time can be one outage (the clustering's group gap). */
const SAME_OUTAGE_MS = 30 * MINUTE;

/**
 * Open incidents that blame the same root cause decisively and opened within 30 minutes of each other, by incident:
 * the others, oldest first. Incidents keep their identity (decision 008 joins only alerts about to open an incident),
 * so an outage first seen in two places on sparse traces can stay two incidents; on-call should know they are
 * probably one before working both. O(incidents).
 */
export function sameRootIncidents(reports: readonly IncidentReport[]): Map<string, NonNullable<IncidentContext['sameRoot']>> {
  const byRoot = new Map<string, IncidentReport[]>();
  for (const r of reports) {
    const root = r.status === 'open' ? decisiveRoot(r.rootCauses) : undefined;
    if (root === undefined) continue;
    const list = byRoot.get(root);
    if (list) list.push(r);
    else byRoot.set(root, [r]);
  }
  const out = new Map<string, NonNullable<IncidentContext['sameRoot']>>();
  for (const [service, list] of byRoot) {
    if (list.length < 2) continue;
    const sorted = [...list].sort((a, b) => a.openedAt.localeCompare(b.openedAt) || a.id.localeCompare(b.id));
    for (const r of sorted) {
      const at = Date.parse(r.openedAt);
      const incidents = sorted.filter((o) => o !== r && Math.abs(Date.parse(o.openedAt) - at) <= SAME_OUTAGE_MS).map((o) => ({ id: o.id, openedAt: o.openedAt }));
      if (incidents.length > 0) out.set(r.id, { service, incidents });
    }
  }
  return out;
}
