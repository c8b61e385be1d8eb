// Request-rate alerts point the other way: their cause is at or above their service (a caller that fails stops
// calling on), while errors and latency point down. Classification, relations, rate coupling and ranking.
import { describe, it, expect } from 'vitest';
import { alertSignal, alertSymptom, isSaturation } from '../../../src/model/alert-signal.js';
import { buildDependencyGraph } from '../../../src/topology/dependency-graph.js';
import { downstreamExplanation, sharedExplanation, trafficExplanation } from '../../../src/correlate/alert-relations.js';
import { clusterAlerts, groupAlerts } from '../../../src/correlate/incident-clusters.js';
import { HEALTHY_COUPLING, rateCouplingFor, UNKNOWN_COUPLING } from '../../../src/correlate/trace-coupling.js';
import { rankRootCauses } from '../../../src/rank/root-cause-ranking.js';
import { TraceAggregates } from '../../../src/traces/trace-store.js';
import type { Alert } from '../../../src/model/alert.js';
import { alert, edge, MIN, stats, T0 } from '../../support/alerts.js';

describe('alert signal', () => {
  const signal = (name: string, labels: Record<string, string> = {}) => alertSignal({ name, labels });

  it('reads request-rate alerts as traffic, whatever the naming', () => {
    for (const name of ['RequestRateShift', 'RequestRateDrop', 'TrafficDrop', 'LowTraffic', 'ThroughputDrop', 'HighRequestRate', 'HTTPRequestsRateLow', 'NoRequests', 'LowQPS', 'request_count_anomaly', 'WorkloadShift']) {
      expect(signal(name), name).toBe('traffic');
    }
  });

  it('reads errors, latency, availability and anything else as failures', () => {
    for (const name of ['HighErrorRate', 'RequestErrorRate', 'HighRequestLatency', 'HighLatencyP90', 'LowAvailability', 'DroppedMessages', 'KubePodCrashLooping', 'ServiceErrorRateHigh']) {
      expect(signal(name), name).toBe('failure');
    }
  });

  it('reads warnings of a future problem as local: they break nothing yet', () => {
    for (const name of ['CertificateExpiringSoon', 'CertManagerCertExpirySoon', 'NodeFilesystemSpaceFillingUp', 'DiskWillFillIn4Hours', 'BackupJobFailed', 'SSLCertExpiring']) {
      expect(signal(name), name).toBe('local');
    }
    for (const name of ['CertificateExpired', 'NodeFilesystemFull', 'NodeFilesystemAlmostOutOfSpace']) expect(signal(name), name).toBe('failure');
    expect(signal('HighErrorRate', { signal: 'local' })).toBe('local');
  });

  it('lets a signal label override the name', () => {
    expect(signal('CheckoutVolume', { signal: 'traffic' })).toBe('traffic');
    expect(signal('RequestRateDrop', { signal: 'errors' })).toBe('failure');
  });

  it('tells saturation of a service\'s own resources from other failures', () => {
    const saturated = (name: string, labels: Record<string, string> = {}) => isSaturation({ name, labels });
    for (const name of ['ContainerCpuUsageHigh', 'CPUThrottlingHigh', 'ContainerOOMKilled', 'ContainerMemoryNearLimit', 'HostOutOfMemory', 'JvmHeapUsageHigh', 'KubePodCrashLooping', 'ContainerRestarting', 'GCPauseTooLong', 'ThreadPoolExhausted', 'FileDescriptorsExhausted',
      'ContainerDiskIOHigh', 'NodeDiskIOSaturation', 'HighIOWait', 'DiskLatencyHigh', 'ContainerNetworkReceiveErrors', 'PacketLossHigh', 'NetworkTransmitDropsHigh', 'TcpSocketsExhausted', 'TargetDown', 'InstanceDown',
      'PostgresqlDown', 'MysqlDown', 'MongodbDown', 'RedisDown', 'MemcachedDown', 'KafkaBrokerDown', 'RabbitmqDown', 'EtcdMemberDown',
      'HighMem', 'MemUsageHigh', 'HIGH_MEM_USAGE', 'container_mem', 'DiskUsageHigh', 'DiskFull', 'container_fs_writes_total', 'ContainerFsReadsHigh']) {
      expect(saturated(name), name).toBe(true);
      expect(signal(name), name).toBe('failure');
    }
    for (const name of ['HighErrorRate', 'HighLatencyP90', 'LowAvailability', 'RequestRateShift', 'NodeFilesystemSpaceFillingUp', 'MemoryWillFillUpSoon', 'DiskWillFillIn4Hours', 'ConnectionPoolExhausted', 'DBConnectionsExhausted', 'HighNetworkLatency', 'KafkaConsumerLag', 'ProbeFailed', 'EndpointDown', 'KubePodNotReady',
      'WebsiteDown', 'ServiceDown', 'CheckoutDown', 'HighMemcachedLatency', 'PostgresqlSlowQueries', 'RedisRejectedConnections', 'MemberUnreachable', 'FsyncSlow']) expect(saturated(name), name).toBe(false);
    expect(saturated('PodAlert', { signal: 'saturation' })).toBe(true);
    expect(signal('PodAlert', { signal: 'saturation' })).toBe('failure');
    expect(saturated('ContainerCpuUsageHigh', { signal: 'latency' })).toBe(false);
  });

  it('tells which symptom a failure alert watches: its errors, its latency, or either', () => {
    const symptom = (name: string) => alertSymptom({ name, labels: {} });
    for (const name of ['HighErrorRate', 'Http5xxRatioHigh', 'ErrorBudgetBurn', 'ServiceErrorRateHigh', 'RequestsFailing', 'LowAvailability']) expect(symptom(name), name).toBe('errors');
    for (const name of ['HighRequestLatency', 'SlowResponses', 'LatencySLOBreach', 'HighLatencyP95', 'HighResponseTime', 'RequestDurationHigh']) expect(symptom(name), name).toBe('latency');
    // Both, neither, saturation, traffic and warnings: no one symptom.
    for (const name of ['LatencyErrorBudgetBurn', 'ServiceDegraded', 'ContainerCpuUsageHigh', 'ContainerNetworkReceiveErrors', 'RequestRateDrop', 'CertificateExpiringSoon']) expect(symptom(name), name).toBe('any');
    // A `signal` label says it outright.
    expect(alertSymptom({ name: 'PodAlert', labels: { signal: 'latency' } })).toBe('latency');
    expect(alertSymptom({ name: 'HighLatency', labels: { signal: 'errors' } })).toBe('errors');
    expect(alertSymptom({ name: 'HighErrorRate', labels: { signal: 'saturation' } })).toBe('any');
  });
});

// frontend calls checkout and search; checkout calls orders and mail; orders calls orders-db.
const graph = buildDependencyGraph([
  edge('frontend', 'checkout'),
  edge('frontend', 'search'),
  edge('checkout', 'orders'),
  edge('checkout', 'mail'),
  edge('orders', 'orders-db', 100, true),
]);

describe('traffic explanation', () => {
  it('goes up to the callers, and down from them to what may have made them fail', () => {
    const mail = trafficExplanation(graph, 'mail');
    expect(mail.get('mail')).toEqual({ strength: 1, depth: 0 });
    expect(mail.get('checkout')).toEqual({ strength: 1, depth: 1 });
    expect(mail.get('frontend')).toEqual({ strength: 0.8, depth: 2 });
    expect(mail.get('orders')).toEqual({ strength: 0.8, depth: 2 }); // mail ← checkout → orders
    expect(mail.get('orders-db')?.depth).toBe(3); // mail ← checkout → orders → orders-db
    expect(mail.has('search')).toBe(false); // mail ← checkout ← frontend → search: beside a caller further up
  });

  it('meets a failure alert at the caller that failed or at the dependency that made it fail', () => {
    const mail = trafficExplanation(graph, 'mail');
    expect(sharedExplanation(mail, downstreamExplanation(graph, 'checkout'))).toBe(1); // checkout itself
    expect(sharedExplanation(mail, downstreamExplanation(graph, 'orders'))).toBeCloseTo(0.8); // mail ← checkout → orders
    // A failure alert on a service that calls nothing the mail's callers call explains nothing.
    expect(sharedExplanation(mail, downstreamExplanation(buildDependencyGraph([edge('batch', 'warehouse')]), 'batch'))).toBe(0);
  });

  it('weakens steps up by how much the calls changed', () => {
    const unchanged = trafficExplanation(graph, 'mail', () => HEALTHY_COUPLING);
    expect(unchanged.get('checkout')!.strength).toBeCloseTo(HEALTHY_COUPLING);
    expect(unchanged.has('frontend')).toBe(false); // 0.15 × 0.8 × 0.15 is below the floor
  });
});

describe('rate coupling from traces', () => {
  /** `calls` a minute along caller → callee during [fromMin, toMin) after T0. */
  function calls(traces: TraceAggregates, caller: string, callee: string, fromMin: number, toMin: number, n: number): void {
    for (let m = fromMin; m < toMin; m++) traces.apply({ edges: [{ caller, callee, bucket: T0 + m * MIN, calleeUninstrumented: false, calleeKind: 'service', ...stats(n, 0, 20) }], services: [] });
  }

  it('couples an edge whose call volume halved, not one whose volume held', () => {
    const traces = new TraceAggregates();
    calls(traces, 'checkout', 'mail', -30, 0, 20);
    calls(traces, 'checkout', 'mail', 0, 10, 8);
    calls(traces, 'frontend', 'checkout', -30, 10, 20);
    const coupling = rateCouplingFor(traces, T0 + 10 * MIN, 30 * MIN)(T0, T0 + 8 * MIN);
    expect(coupling('checkout', 'mail')).toBe(1);
    expect(coupling('frontend', 'checkout')).toBeCloseTo(HEALTHY_COUPLING);
    expect(coupling('search', 'mail')).toBe(UNKNOWN_COUPLING); // never seen: the topology alone, as for failures
  });

  it('does not tie a rate shift to a caller whose calls are too rare to measure', () => {
    const traces = new TraceAggregates();
    // Three calls in the half-hour baseline, none since: a drop to zero, or sampling? The traces cannot say.
    calls(traces, 'reports', 'mail', -30, -27, 1);
    // Two calls during the window and none before: too few either way.
    calls(traces, 'cron', 'mail', 0, 2, 1);
    // Silent before, 24 calls since: a caller that started calling is a measured change, however sparse before.
    calls(traces, 'batch', 'mail', 0, 8, 3);
    const coupling = rateCouplingFor(traces, T0 + 10 * MIN, 30 * MIN)(T0, T0 + 8 * MIN);
    expect(coupling('reports', 'mail')).toBeCloseTo(HEALTHY_COUPLING);
    expect(coupling('cron', 'mail')).toBeCloseTo(HEALTHY_COUPLING);
    expect(coupling('batch', 'mail')).toBe(1);
    // So a rate drop at mail does not reach those callers' other failing dependencies.
    const rareGraph = buildDependencyGraph([edge('reports', 'mail'), edge('reports', 'ledger')]);
    const explanation = trafficExplanation(rareGraph, 'mail', coupling);
    expect(explanation.get('reports')!.strength).toBeCloseTo(HEALTHY_COUPLING);
    expect(sharedExplanation(explanation, downstreamExplanation(rareGraph, 'ledger'))).toBeLessThan(0.3);
  });

  it('counts only complete minutes, so the minute being flushed does not look like a drop', () => {
    const traces = new TraceAggregates();
    calls(traces, 'checkout', 'mail', -30, 10, 20);
    // At 09:30 into minute 9, only complete minutes up to 9 are read: no drop.
    const coupling = rateCouplingFor(traces, T0 + 9.5 * MIN, 30 * MIN)(T0, T0 + 12 * MIN);
    expect(coupling('checkout', 'mail')).toBeCloseTo(HEALTHY_COUPLING);
  });
});

describe('clustering and ranking with request-rate alerts', () => {
  function names(clusters: Alert[][]): string[][] {
    return clusters.map((c) => [...new Set(c.map((a) => `${a.service}:${a.name}`))].sort()).sort((a, b) => a[0]!.localeCompare(b[0]!));
  }

  it('keeps a service\'s traffic and failure alerts in separate groups', () => {
    const groups = groupAlerts([alert('mail', 'RequestRateDrop', 0), alert('mail', 'HighErrorRate', 1)], 30 * MIN);
    expect(groups.map((g) => [g.service, g.signal])).toEqual([
      ['mail', 'traffic'],
      ['mail', 'failure'],
    ]);
  });

  it('joins a rate drop below a failing caller to its incident; siblings of a failure alert stay apart', () => {
    const alerts = [alert('checkout', 'HighErrorRate', 0), alert('mail', 'RequestRateDrop', 1), alert('search', 'HighLatency', 1)];
    expect(names(clusterAlerts(alerts, graph))).toEqual([['checkout:HighErrorRate', 'mail:RequestRateDrop'], ['search:HighLatency']]);
  });

  it('ranks the failing caller above the services whose traffic it starved, and says why', () => {
    const alerts = [alert('checkout', 'HighErrorRate', 2), alert('mail', 'RequestRateDrop', 0), alert('orders', 'RequestRateDrop', 0), alert('frontend', 'HighErrorRate', 3)];
    const ranked = rankRootCauses({ alerts, graph, traceSignals: new Map(), changes: [], history: [], onset: T0 });
    expect(ranked[0]!.service).toBe('checkout');
    expect(ranked.find((r) => r.service === 'mail')!.score).toBeLessThan(ranked[0]!.score - 0.2);
    expect(ranked[0]!.evidence.find((e) => e.kind === 'topology')!.detail).toBe(
      'checkout: 1 of 4 anomalous services depend on it, and it would explain the request-rate shifts at mail, orders; its own dependencies look healthy',
    );
  });

  it('does not let a service whose traffic only shifted explain its siblings\' shifts', () => {
    const alerts = [alert('mail', 'RequestRateDrop', 0), alert('orders', 'RequestRateDrop', 0)];
    const ranked = rankRootCauses({ alerts, graph, traceSignals: new Map(), changes: [], history: [], onset: T0 });
    // Their common caller is a candidate that explains both; each of them explains only itself.
    expect(ranked.find((r) => r.service === 'checkout')!.evidence.find((e) => e.kind === 'topology')!.detail).toBe(
      'checkout: it would explain the request-rate shifts at mail, orders; its own dependencies look healthy',
    );
    expect(ranked.find((r) => r.service === 'mail')!.evidence.find((e) => e.kind === 'topology')).toBeUndefined();
  });
});
