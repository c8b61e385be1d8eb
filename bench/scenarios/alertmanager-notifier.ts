// Alertmanager's notification behaviour: alerts grouped by labels, group_wait / group_interval /
// repeat_interval, each webhook carrying the whole group (firing and newly resolved), HA duplicates.
import type { Rng } from './rng.js';
import type { AlertInstance } from './alert-emitter.js';
import { isoNano, type TimedEvent } from './event-line.js';

export interface AlertmanagerConfig {
  /** Label names to group by; empty = group by all labels (`group_by: ['...']`). */
  groupBy: string[];
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
  /** Two replicas that both notify (the duplicate arrives a little later). */
  haDuplicates: boolean;
  receiver: string;
  externalURL: string;
}

export function pickAlertmanagerConfig(rng: Rng, namingLabel: string): AlertmanagerConfig {
  return {
    groupBy: rng.pick([['alertname'], ['alertname', namingLabel], ['alertname', 'namespace'], ['namespace'], []]),
    groupWaitMs: rng.pick([10_000, 30_000, 30_000, 60_000]),
    groupIntervalMs: rng.pick([60_000, 120_000, 300_000, 300_000]),
    repeatIntervalMs: rng.pick([600_000, 1_800_000, 4 * 3_600_000]),
    haDuplicates: rng.chance(0.4),
    receiver: rng.pick(['rcabot', 'rca-bot', 'incident-bot', 'webhook']),
    externalURL: rng.pick(['http://alertmanager.monitoring:9093', 'https://alertmanager.example.com', 'http://alertmanager-main-0:9093']),
  };
}

interface GroupedAlert {
  alert: AlertInstance;
  resolved: boolean;
}

interface Group {
  key: string;
  groupLabels: Record<string, string>;
  alerts: Map<string, GroupedAlert>;
  nextFlush: number;
  lastSent: number;
  dirty: boolean;
}

function sortedRecord(r: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(r).sort().map((k) => [k, r[k]!]));
}

function common(records: Record<string, string>[]): Record<string, string> {
  if (records.length === 0) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(records[0]!)) if (records.every((r) => r[k] === v)) out[k] = v;
  return sortedRecord(out);
}

export function notifyAlertmanager(rng: Rng, instances: readonly AlertInstance[], config: AlertmanagerConfig, endMs: number): TimedEvent[] {
  type Change = { at: number; alert: AlertInstance; resolved: boolean };
  const changes: Change[] = [];
  for (const a of instances) {
    changes.push({ at: a.firedAt + rng.between(5, 1500), alert: a, resolved: false });
    if (a.endsAt !== null) changes.push({ at: a.endsAt + rng.between(5, 1500), alert: a, resolved: true });
  }
  changes.sort((a, b) => a.at - b.at);
  const nanos = new Map<AlertInstance, string>();
  const nanoOf = (a: AlertInstance): string => {
    let n = nanos.get(a);
    if (!n) nanos.set(a, (n = String(rng.int(0, 999_999)).padStart(6, '0')));
    return n;
  };
  const groups = new Map<string, Group>();
  const out: TimedEvent[] = [];

  const flush = (g: Group, at: number): void => {
    const repeatDue = at - g.lastSent >= config.repeatIntervalMs;
    g.nextFlush = at + config.groupIntervalMs;
    if (!g.dirty && !repeatDue) return;
    const members = [...g.alerts.values()].sort((a, b) => (a.alert.fingerprint < b.alert.fingerprint ? -1 : 1));
    const alerts = members.map(({ alert, resolved }) => ({
      status: resolved ? 'resolved' : 'firing',
      labels: sortedRecord(alert.labels),
      annotations: sortedRecord(alert.annotations),
      startsAt: isoNano(alert.startsAt, nanoOf(alert)),
      endsAt: resolved && alert.endsAt !== null ? isoNano(alert.endsAt, '000000') : '0001-01-01T00:00:00Z',
      generatorURL: `http://prometheus-k8s-0:9090/graph?g0.expr=ALERTS%7Balertname%3D%22${alert.labels.alertname ?? ''}%22%7D&g0.tab=1`,
      fingerprint: alert.fingerprint,
    }));
    const payload = {
      receiver: config.receiver,
      status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
      alerts,
      groupLabels: g.groupLabels,
      commonLabels: common(alerts.map((a) => a.labels)),
      commonAnnotations: common(alerts.map((a) => a.annotations)),
      externalURL: config.externalURL,
      version: '4',
      groupKey: `{}:{${Object.entries(g.groupLabels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}}`,
      truncatedAlerts: 0,
    };
    out.push({ at: at + rng.between(5, 400), type: 'alertmanager', payload });
    if (config.haDuplicates && rng.chance(0.7)) out.push({ at: at + rng.between(200, 3000), type: 'alertmanager', payload });
    g.lastSent = at;
    g.dirty = false;
    for (const [fp, m] of g.alerts) if (m.resolved) g.alerts.delete(fp);
  };

  let i = 0;
  for (;;) {
    const nextChange = i < changes.length ? changes[i]!.at : Infinity;
    let nextGroup: Group | null = null;
    for (const g of groups.values()) if (!nextGroup || g.nextFlush < nextGroup.nextFlush) nextGroup = g;
    const nextFlushAt = nextGroup ? nextGroup.nextFlush : Infinity;
    const at = Math.min(nextChange, nextFlushAt);
    if (at >= endMs) break;
    if (nextGroup && nextFlushAt <= nextChange) {
      flush(nextGroup, at);
      if (nextGroup.alerts.size === 0) groups.delete(nextGroup.key);
      continue;
    }
    const { alert, resolved } = changes[i++]!;
    const groupLabels = sortedRecord(
      config.groupBy.length === 0 ? { ...alert.labels } : Object.fromEntries(config.groupBy.filter((k) => alert.labels[k] !== undefined).map((k) => [k, alert.labels[k]!])),
    );
    const key = JSON.stringify(groupLabels);
    let g = groups.get(key);
    if (!g) {
      if (resolved) continue; // a resolution for a group already gone
      g = { key, groupLabels, alerts: new Map(), nextFlush: at + config.groupWaitMs, lastSent: -Infinity, dirty: true };
      groups.set(key, g);
    }
    const existing = g.alerts.get(alert.fingerprint);
    if (resolved && (!existing || existing.alert !== alert)) continue;
    g.alerts.set(alert.fingerprint, { alert, resolved });
    g.dirty = true;
  }
  return out;
}
