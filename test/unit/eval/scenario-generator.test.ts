import { describe, it, expect } from 'vitest';
import { generateScenario, FAMILY_NAMES, type FamilyName, type Scenario } from '../../../bench/scenarios/scenario-generator.js';
import { planFamily } from '../../../bench/scenarios/families.js';
import { createRng } from '../../../bench/scenarios/rng.js';
import { EVENT_TYPES } from '../../../src/model/event.js';
import { HistoryFileSchema } from '../../../src/model/history.js';
import { ingestSources } from '../../../src/ingest/registry.js';
import { DEFAULT_SERVICE_LABELS } from '../../../src/ingest/source.js';
import { SpanPairer } from '../../../src/traces/span-pairer.js';
import { parseServiceCatalog } from '../../../src/topology/service-catalog.js';

interface Line {
  type: string;
  receivedAt: string;
  payload: Record<string, unknown>;
}

type Attr = { key: string; value: { stringValue?: string } };
interface OtlpSpan {
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Attr[];
  status: { code: number };
}
interface AmAlert {
  status: string;
  labels: Record<string, string>;
  startsAt: string;
  endsAt: string;
  fingerprint: string;
}

// Small, lightly traced systems keep the suite fast; the storm needs room for several independent roots, and a canary
// enough traces that its share of one service's requests shows.
const optionsFor = (f: FamilyName): { size: number; tracesPerMinute: number } => ({ size: f === 'storm' ? 50 : 16, tracesPerMinute: f === 'canary-release' ? 40 : 5 });
const cache = new Map<string, Scenario>();
function scenario(family: FamilyName, seed: number): Scenario {
  const key = `${family}/${seed}`;
  if (!cache.has(key)) cache.set(key, generateScenario(family, seed, optionsFor(family)));
  return cache.get(key)!;
}

const lines = (s: Scenario): Line[] => s.events.map((l) => JSON.parse(l) as Line);
const alertsOf = (s: Scenario): AmAlert[] => lines(s).filter((l) => l.type === 'alertmanager').flatMap((l) => l.payload.alerts as AmAlert[]);
function spansOf(s: Scenario): { service: string; span: OtlpSpan }[] {
  const out: { service: string; span: OtlpSpan }[] = [];
  for (const l of lines(s)) {
    if (l.type !== 'otlp') continue;
    for (const rs of l.payload.resourceSpans as { resource: { attributes: Attr[] }; scopeSpans: { spans: OtlpSpan[] }[] }[]) {
      const service = rs.resource.attributes.find((a) => a.key === 'service.name')!.value.stringValue!;
      for (const ss of rs.scopeSpans) for (const span of ss.spans) out.push({ service, span });
    }
  }
  return out;
}
const attrOf = (span: OtlpSpan, key: string): string | undefined => span.attributes.find((a) => a.key === key)?.value.stringValue;
const namesService = (a: AmAlert, service: string): boolean => Object.values(a.labels).includes(service);

describe('generateScenario', () => {
  it.each(FAMILY_NAMES)('is deterministic per seed and differs across seeds (%s)', (family) => {
    const a = scenario(family, 3);
    const b = generateScenario(family, 3, optionsFor(family));
    expect(b.events).toEqual(a.events);
    expect(b.history).toEqual(a.history);
    expect(b.truth).toEqual(a.truth);
    const c = scenario(family, 4);
    expect(c.events).not.toEqual(a.events);
  });

  it('thins the traces with traceShare and leaves the alerts and the truth as they were', () => {
    const full = generateScenario('latency-cascade', 2, { size: 16, tracesPerMinute: 20 });
    const quarter = generateScenario('latency-cascade', 2, { size: 16, tracesPerMinute: 20, traceShare: 0.25 });
    expect(alertsOf(quarter)).toEqual(alertsOf(full));
    expect(quarter.truth).toEqual(full.truth);
    const ratio = spansOf(quarter).length / spansOf(full).length;
    expect(ratio).toBeGreaterThan(0.15);
    expect(ratio).toBeLessThan(0.35);
  });

  it('shows only the call graph with callGraphOnly: every edge once, at the start, 5 ms and OK', () => {
    const full = generateScenario('error-cascade', 3, { size: 16, tracesPerMinute: 20 });
    const graphOnly = generateScenario('error-cascade', 3, { size: 16, tracesPerMinute: 20, callGraphOnly: true });
    expect(alertsOf(graphOnly)).toEqual(alertsOf(full));
    expect(graphOnly.truth).toEqual(full.truth);
    // Every call edge (a client span's service and the peer it names) is still there.
    const edges = (s: Scenario): Set<string> => new Set(spansOf(s).filter(({ span }) => span.kind === 3).map(({ service, span }) => `${service} → ${attrOf(span, 'peer.service') ?? attrOf(span, 'server.address') ?? attrOf(span, 'db.system')}`));
    expect(edges(graphOnly)).toEqual(edges(full));
    const spans = spansOf(graphOnly);
    expect(spans.length).toBeLessThan(spansOf(full).length / 10);
    const starts = new Set(spans.map(({ span }) => span.startTimeUnixNano));
    expect(starts.size).toBe(1);
    for (const { span } of spans) {
      expect(BigInt(span.endTimeUnixNano) - BigInt(span.startTimeUnixNano)).toBe(5_000_000n);
      expect(span.status.code).toBe(0);
    }
    // The full scenario's spans do fail: the snapshot dropped that, not the generator.
    expect(spansOf(full).some(({ span }) => span.status.code === 2)).toBe(true);
  });

  it('exports no spans with alertsOnly, and keeps the alerts, deploys and truth of the same seed', () => {
    const full = generateScenario('bad-deploy', 5, { size: 16, tracesPerMinute: 20 });
    const alertsOnly = generateScenario('bad-deploy', 5, { size: 16, tracesPerMinute: 20, alertsOnly: true });
    expect(spansOf(full).length).toBeGreaterThan(0);
    expect(lines(alertsOnly).filter((l) => l.type === 'otlp')).toEqual([]);
    expect(alertsOf(alertsOnly)).toEqual(alertsOf(full));
    expect(alertsOnly.truth).toEqual(full.truth);
    const deploys = (s: Scenario): Line[] => lines(s).filter((l) => l.type !== 'otlp' && l.type !== 'alertmanager');
    expect(deploys(alertsOnly).length).toBeGreaterThan(0);
    expect(deploys(alertsOnly)).toEqual(deploys(full));
  });

  it('declares the whole call graph as a catalog: every edge the traces show, and more than a tenth of them show', () => {
    const tracedEdges = (s: Scenario): Set<string> => {
      const pairer = new SpanPairer();
      for (const l of lines(s)) {
        if (l.type !== 'otlp') continue;
        const parsed = ingestSources.otlp.parse(l.payload, { serviceLabels: DEFAULT_SERVICE_LABELS, receivedAt: Date.parse(l.receivedAt) });
        if (parsed.ok && parsed.event.kind === 'spans') pairer.add(parsed.event.spans, Date.parse(l.receivedAt));
      }
      return new Set(pairer.flush(Number.MAX_SAFE_INTEGER).edges.map((e) => `${e.caller} → ${e.callee}`));
    };
    const full = generateScenario('latency-cascade', 2, { size: 40, tracesPerMinute: 20 });
    const tenth = generateScenario('latency-cascade', 2, { size: 40, tracesPerMinute: 20, traceShare: 0.1 });
    expect(tenth.catalog).toEqual(full.catalog);
    const declared = new Set(full.catalog.flatMap((d) => d.dependsOn.map((dep) => `${d.service} → ${dep}`)));
    const traced = tracedEdges(full);
    for (const e of traced) expect(declared).toContain(e);
    expect(tracedEdges(tenth).size).toBeLessThan(traced.size);
    // What `replay --catalog` reads, as the eval's --dump writes it.
    const parsed = parseServiceCatalog([{ services: full.catalog.map((d) => ({ name: d.service, dependsOn: d.dependsOn })) }]);
    expect('dependencies' in parsed && parsed.dependencies).toEqual(full.catalog);
  });

  it('plays a family on a published system\'s call graph with topology, and without it on a generated one', () => {
    const boutique = generateScenario('error-cascade', 3, { topology: 'online-boutique', tracesPerMinute: 20 });
    const calls = new Map(boutique.catalog.map((d) => [d.service, [...d.dependsOn].sort()]));
    expect(calls.get('frontend')).toEqual(['adservice', 'cartservice', 'checkoutservice', 'currencyservice', 'productcatalogservice', 'recommendationservice', 'shippingservice']);
    expect(calls.get('checkoutservice')).toEqual(['cartservice', 'currencyservice', 'emailservice', 'paymentservice', 'productcatalogservice', 'shippingservice']);
    expect(calls.get('cartservice')).toEqual(['redis-cart']);
    const nodes = new Set(['frontend', ...boutique.catalog.flatMap((d) => [d.service, ...d.dependsOn])]);
    expect(nodes.size).toBe(11);
    expect(nodes).toContain(boutique.truth.incidents[0]!.rootCause);
    for (const { service } of spansOf(boutique)) expect(nodes).toContain(service);
    const train = generateScenario('latency-cascade', 3, { topology: 'train-ticket', tracesPerMinute: 20 });
    expect(train.catalog.find((d) => d.service === 'ts-travel-service')!.dependsOn).toEqual(expect.arrayContaining(['ts-route-service', 'ts-train-service', 'ts-travel-mongo']));
    // Without the option, the seed plays on its generated topology as before.
    expect(generateScenario('error-cascade', 3, { tracesPerMinute: 20 }).catalog.some((d) => d.service === 'checkoutservice' && d.dependsOn.includes('emailservice'))).toBe(false);
  });

  it('reports GitHub deploys as failed rollouts with failedRollouts, and changes nothing else', () => {
    const completed = lines(generateScenario('bad-deploy', 5, { size: 16 }));
    const failed = lines(generateScenario('bad-deploy', 5, { size: 16, failedRollouts: true }));
    const status = (l: Line) => (l.payload.deployment_status as { state: string; description: string });
    const github = failed.filter((l) => l.type === 'github.deployment_status');
    expect(github.length).toBeGreaterThan(0);
    for (const l of github) expect(status(l).state).toBe('failure');
    // Read back, each is a failed change; with the status put back, the streams are the same line for line.
    const parsed = ingestSources['github.deployment_status'].parse(github[0]!.payload, { serviceLabels: DEFAULT_SERVICE_LABELS, receivedAt: 0 });
    expect(parsed.ok && parsed.event.kind === 'changes' && parsed.event.changes[0]?.failed).toBe(true);
    const restored = failed.map((l, i) => (l.type === 'github.deployment_status' ? { ...l, payload: { ...l.payload, deployment_status: { ...status(l), state: 'success', description: status(completed[i]!).description } } } : l));
    expect(restored).toEqual(completed);
  });

  it.each(FAMILY_NAMES)('writes only contract-valid lines in arrival order (%s)', (family) => {
    const s = scenario(family, 1);
    let previous = 0;
    for (const l of lines(s)) {
      expect(EVENT_TYPES).toContain(l.type);
      const at = Date.parse(l.receivedAt);
      expect(new Date(at).toISOString()).toBe(l.receivedAt);
      expect(at).toBeGreaterThanOrEqual(previous);
      previous = at;
      expect(typeof l.payload).toBe('object');
      if (l.type === 'alertmanager') {
        expect(l.payload.version).toBe('4');
        expect(['firing', 'resolved']).toContain(l.payload.status);
        for (const a of l.payload.alerts as AmAlert[]) {
          expect(a.fingerprint).toMatch(/^[0-9a-f]{16}$/);
          expect(Number.isNaN(Date.parse(a.startsAt))).toBe(false);
          if (a.status === 'firing') expect(a.endsAt).toBe('0001-01-01T00:00:00Z');
          // Some label of the contract's list names the service, and they agree when several are present.
          const naming = new Set(DEFAULT_SERVICE_LABELS.filter((k) => a.labels[k] !== undefined).map((k) => a.labels[k]));
          expect(naming.size).toBe(1);
        }
      }
      // The project's own parsers accept every line whole.
      const parsed = ingestSources[l.type as (typeof EVENT_TYPES)[number]].parse(l.payload, { serviceLabels: DEFAULT_SERVICE_LABELS, receivedAt: at });
      expect(parsed.ok).toBe(true);
      if (parsed.ok) expect(parsed.rejected).toEqual([]);
    }
  });

  it.each(FAMILY_NAMES)('encodes spans as OTLP/JSON: hex ids, nanosecond strings, one resource per request (%s)', (family) => {
    const s = scenario(family, 1);
    for (const l of lines(s).filter((x) => x.type === 'otlp')) expect((l.payload.resourceSpans as unknown[]).length).toBe(1);
    for (const { span } of spansOf(s)) {
      expect(span.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(span.spanId).toMatch(/^[0-9a-f]{16}$/);
      if (span.parentSpanId !== undefined) expect(span.parentSpanId).toMatch(/^[0-9a-f]{16}$/);
      expect(span.startTimeUnixNano).toMatch(/^\d{19}$/);
      expect(BigInt(span.endTimeUnixNano) >= BigInt(span.startTimeUnixNano)).toBe(true);
      expect([2, 3, 4]).toContain(span.kind);
    }
  });

  it.each(FAMILY_NAMES)('has truth whose fingerprints all occur in the events, each in one group (%s)', (family) => {
    const s = scenario(family, 2);
    const sent = new Set(alertsOf(s).map((a) => a.fingerprint));
    const all = [...s.truth.incidents.flatMap((i) => i.alerts), ...s.truth.noise];
    expect(all.length).toBeGreaterThan(0);
    for (const fp of all) expect(sent.has(fp)).toBe(true);
    expect(new Set(all).size).toBe(all.length);
    // And every alert sent is accounted for.
    for (const fp of sent) expect(all).toContain(fp);
    expect(HistoryFileSchema.safeParse(s.history).success).toBe(true);
  });
});

describe('truth: whether the root alerts', () => {
  it('says an incident\'s root alerts exactly when one of its alerts names the root', () => {
    // silent-datastore roots never alert; error cascades' usually do.
    const seen = new Set<boolean>();
    for (const family of ['silent-datastore', 'error-cascade', 'latency-cascade'] as const) {
      for (const seed of [1, 2, 3]) {
        const s = scenario(family, seed);
        const byFingerprint = new Map(alertsOf(s).map((a) => [a.fingerprint, a]));
        for (const inc of s.truth.incidents) {
          const named = inc.alerts.some((fp) => namesService(byFingerprint.get(fp)!, inc.rootCause));
          expect(inc.rootAlerts).toBe(named);
          seen.add(named);
          if (family === 'silent-datastore') expect(inc.rootAlerts).toBe(false);
        }
      }
    }
    expect([...seen].sort()).toEqual([false, true]);
  });
});

describe('family properties', () => {
  it('error and latency cascades have one incident with several alerts', () => {
    for (const family of ['error-cascade', 'latency-cascade'] as const) {
      for (const seed of [1, 2]) {
        const t = scenario(family, seed).truth;
        expect(t.incidents).toHaveLength(1);
        expect(t.incidents[0]!.alerts.length).toBeGreaterThanOrEqual(2);
      }
    }
  });

  it('latency cascade: the root alerts late or not at all', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const incidents = planFamily('latency-cascade', createRng(seed)).faults.filter((f) => !f.background);
      expect(incidents).toHaveLength(1);
      expect(incidents[0]!.kind).toBe('latency');
      expect(['late', 'none']).toContain(incidents[0]!.rootAlerting);
    }
  });

  it('silent datastore: the root raises no alert and is seen only as the peer.service of client spans', () => {
    for (const seed of [1, 2, 3]) {
      const s = scenario('silent-datastore', seed);
      const root = s.truth.incidents[0]!.rootCause;
      expect(alertsOf(s).some((a) => namesService(a, root))).toBe(false);
      const spans = spansOf(s);
      expect(spans.some((x) => x.service === root)).toBe(false);
      const asPeer = spans.filter((x) => attrOf(x.span, 'peer.service') === root);
      expect(asPeer.length).toBeGreaterThan(0);
      for (const x of asPeer) expect(x.span.kind).toBe(3);
      // The client spans show the failure: errors, or (a slow-down fault) calls far slower than before.
      const ms = (x: { span: OtlpSpan }): number => Number(BigInt(x.span.endTimeUnixNano) - BigInt(x.span.startTimeUnixNano)) / 1e6;
      const byStart = [...asPeer].sort((a, b) => (BigInt(a.span.startTimeUnixNano) < BigInt(b.span.startTimeUnixNano) ? -1 : 1));
      const early = byStart.slice(0, Math.ceil(byStart.length / 2)).map(ms).sort((a, b) => a - b);
      const medianEarly = early[Math.floor(early.length / 2)]!;
      const failed = asPeer.some((x) => x.span.status.code === 2);
      const slowed = Math.max(...byStart.slice(-Math.ceil(byStart.length / 4)).map(ms)) > 3 * medianEarly;
      expect(failed || slowed).toBe(true);
    }
  });

  it('bad deploy: the root was deployed shortly before the incident, among other deploys', () => {
    for (const seed of [1, 2, 3]) {
      const s = scenario('bad-deploy', seed);
      const root = s.truth.incidents[0]!.rootCause;
      const deploys = lines(s).flatMap((l) => {
        if (l.type === 'deploy') return [{ service: l.payload.service as string, at: Date.parse(l.payload.timestamp as string) }];
        if (l.type === 'github.deployment_status') {
          const d = l.payload.deployment as { payload: { service?: string }; created_at: string };
          return [{ service: d.payload.service ?? (l.payload.repository as { name: string }).name, at: Date.parse(l.receivedAt) }];
        }
        return [];
      });
      const rootDeploy = deploys.find((d) => d.service === root);
      expect(rootDeploy).toBeDefined();
      expect(deploys.filter((d) => d.service !== root).length).toBeGreaterThanOrEqual(2);
      const incidentAlerts = new Set(s.truth.incidents[0]!.alerts);
      const firstAlert = Math.min(...alertsOf(s).filter((a) => incidentAlerts.has(a.fingerprint)).map((a) => Date.parse(a.startsAt)));
      expect(rootDeploy!.at).toBeLessThan(firstAlert);
      expect(firstAlert - rootDeploy!.at).toBeLessThan(30 * 60_000);
    }
  });

  it('recurring dependency: two silent look-alikes with the same callers, and history names the right one', () => {
    for (const seed of [1, 2, 3]) {
      const s = scenario('recurring-dependency', seed);
      const root = s.truth.incidents[0]!.rootCause;
      const callersOf = new Map<string, Set<string>>();
      for (const { service, span } of spansOf(s)) {
        const peer = attrOf(span, 'peer.service');
        if (peer) (callersOf.get(peer) ?? callersOf.set(peer, new Set()).get(peer)!).add(service);
      }
      const rootCallers = [...callersOf.get(root)!].sort().join(',');
      const twins = [...callersOf].filter(([peer, callers]) => peer !== root && [...callers].sort().join(',') === rootCallers).map(([peer]) => peer);
      expect(twins.length).toBeGreaterThanOrEqual(1);
      for (const n of [root, ...twins]) expect(alertsOf(s).some((a) => namesService(a, n))).toBe(false);
      const pastRoot = s.history.filter((h) => h.rootCause.service === root);
      expect(pastRoot.length).toBeGreaterThanOrEqual(2);
      expect(s.history.some((h) => twins.includes(h.rootCause.service))).toBe(true);
      // The past incidents of the root raised the alerts the current incident raises.
      const current = new Set(alertsOf(s).filter((a) => s.truth.incidents[0]!.alerts.includes(a.fingerprint)).map((a) => a.labels.alertname));
      for (const h of pastRoot) expect(h.alerts.some((a) => current.has(a.alertname))).toBe(true);
    }
  });

  it('storm: three to five concurrent incidents plus unrelated noise', () => {
    for (const seed of [1, 2]) {
      const s = scenario('storm', seed);
      expect(s.truth.incidents.length).toBeGreaterThanOrEqual(3);
      expect(s.truth.incidents.length).toBeLessThanOrEqual(5);
      expect(new Set(s.truth.incidents.map((i) => i.rootCause)).size).toBe(s.truth.incidents.length);
      expect(s.truth.noise.length).toBeGreaterThanOrEqual(1);
    }
  });

  it('label variety: alerts name their service by service, app and job within one scenario', () => {
    const used = new Set<string>();
    for (const seed of [1, 2, 3]) for (const a of alertsOf(scenario('label-variety', seed))) for (const k of ['service', 'app', 'job']) if (a.labels[k] !== undefined) used.add(k);
    expect([...used].sort()).toEqual(['app', 'job', 'service']);
    const s = scenario('label-variety', 1);
    const perScenario = new Set(alertsOf(s).flatMap((a) => ['service', 'app', 'job'].filter((k) => a.labels[k] !== undefined)));
    expect(perScenario.size).toBeGreaterThanOrEqual(2);
  });

  it('resource saturation: the root raises a CPU or memory alert that belongs to its incident; decoys are noise', () => {
    const saturation = /Cpu|CPU|OOM|CrashLooping|Memory/;
    let rootsWithAlert = 0;
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const s = scenario('resource-saturation', seed);
      const incident = s.truth.incidents[0]!;
      const onRoot = alertsOf(s).filter((a) => saturation.test(a.labels.alertname!) && namesService(a, incident.rootCause));
      if (onRoot.length > 0) rootsWithAlert++;
      for (const a of onRoot) expect(incident.alerts).toContain(a.fingerprint);
      for (const a of alertsOf(s)) if (saturation.test(a.labels.alertname!) && !namesService(a, incident.rootCause) && a.labels.container) expect(s.truth.noise).toContain(a.fingerprint);
    }
    expect(rootsWithAlert).toBeGreaterThanOrEqual(3);
  });

  it('canary release: the root\'s new version serves part of its requests from its own pod, and those go wrong', () => {
    const durationMs = (span: OtlpSpan): number => Number(BigInt(span.endTimeUnixNano) - BigInt(span.startTimeUnixNano)) / 1e6;
    let reported = 0;
    const seeds = [1, 2, 3, 4, 5, 6];
    for (const seed of seeds) {
      const s = scenario('canary-release', seed);
      const root = s.truth.incidents[0]!.rootCause;
      // The root's server spans by the version and pod of the resource that exported them.
      const byVersion = new Map<string, { pods: Set<string>; spans: OtlpSpan[] }>();
      for (const l of lines(s)) {
        if (l.type !== 'otlp') continue;
        for (const rs of l.payload.resourceSpans as { resource: { attributes: Attr[] }; scopeSpans: { spans: OtlpSpan[] }[] }[]) {
          const attr = (key: string) => rs.resource.attributes.find((a) => a.key === key)?.value.stringValue ?? '';
          if (attr('service.name') !== root) continue;
          const v = byVersion.get(attr('service.version')) ?? byVersion.set(attr('service.version'), { pods: new Set(), spans: [] }).get(attr('service.version'))!;
          v.pods.add(attr('k8s.pod.name'));
          for (const ss of rs.scopeSpans) v.spans.push(...ss.spans.filter((x) => x.kind === 2));
        }
      }
      expect(byVersion.size).toBe(2);
      const [stable, canary] = [...byVersion.values()].sort((a, b) => b.spans.length - a.spans.length);
      expect(canary!.pods.size).toBe(1);
      expect([...canary!.pods].some((p) => stable!.pods.has(p))).toBe(false);
      const firstStart = (v: { spans: OtlpSpan[] }) => Math.min(...v.spans.map((x) => Number(BigInt(x.startTimeUnixNano) / 1_000_000n)));
      expect(firstStart(canary!)).toBeGreaterThan(firstStart(stable!));
      const errorRate = (v: { spans: OtlpSpan[] }) => v.spans.filter((x) => x.status.code === 2).length / v.spans.length;
      const meanMs = (v: { spans: OtlpSpan[] }) => v.spans.reduce((sum, x) => sum + durationMs(x), 0) / v.spans.length;
      expect(errorRate(canary!) > errorRate(stable!) + 0.2 || meanMs(canary!) > 2 * meanMs(stable!)).toBe(true);
      if (lines(s).some((l) => l.type === 'deploy' && l.payload.service === root) || lines(s).some((l) => l.type === 'github.deployment_status' && JSON.stringify(l.payload).includes(`"${root}"`))) reported++;
    }
    // The deploy hook reports some canaries and not others.
    expect(reported).toBeGreaterThan(0);
    expect(reported).toBeLessThan(seeds.length);
  });

  it('network delay: calls to and from the root wait longer than the other end takes; no other call does', () => {
    const durationMs = (span: OtlpSpan): number => Number(BigInt(span.endTimeUnixNano) - BigInt(span.startTimeUnixNano)) / 1e6;
    for (const seed of [1, 2]) {
      const s = scenario('network-delay', seed);
      const root = s.truth.incidents[0]!.rootCause;
      const spans = spansOf(s);
      const clients = new Map(spans.filter((x) => x.span.kind === 3).map((x) => [x.span.spanId, x]));
      let rootGap = 0;
      let otherGap = 0;
      for (const server of spans) {
        const client = server.span.kind === 2 && server.span.parentSpanId ? clients.get(server.span.parentSpanId) : undefined;
        if (client === undefined) continue;
        const gap = durationMs(client.span) - durationMs(server.span);
        if (client.service === root || server.service === root) rootGap = Math.max(rootGap, gap);
        else otherGap = Math.max(otherGap, gap);
      }
      expect(rootGap).toBeGreaterThan(80);
      expect(otherGap).toBeLessThan(5);
    }
  });
});
