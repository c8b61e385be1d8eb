import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { propagation, trace, SpanKind as OtelSpanKind } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createIngestQueue, type IngestQueue } from '../../../src/queue/ingest-queue.js';
import { startWorkers, type IngestWorkers, type StateDelta } from '../../../src/queue/workers.js';
import { AlertStore } from '../../../src/store/alert-store.js';
import { ChangeStore } from '../../../src/store/change-store.js';
import { TraceAggregateStore } from '../../../src/store/trace-aggregate-store.js';
import { SpanKind, type SpanRecord } from '../../../src/model/span.js';
import { TRACE_BUCKET_MS } from '../../../src/model/trace-aggregate.js';
import { deleteKeys, newTestRedis, uniquePrefix } from '../../support/redis.js';
import { T0, alert, change, resolved } from '../store/alert-fixtures.js';
import { producerRedis, silentLogger, testMetrics, waitFor } from './queue-harness.js';

const admin = newTestRedis();
let producer: Redis;
const prefixes: string[] = [];
const open: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  producer = await producerRedis();
});
afterEach(async () => {
  while (open.length > 0) await open.pop()!.close();
});
afterAll(async () => {
  for (const p of prefixes) await deleteKeys(admin, p);
  await Promise.all([admin.quit(), producer.quit()]);
});

async function setup(extra: Partial<Parameters<typeof startWorkers>[0]> = {}) {
  const prefix = uniquePrefix('workers');
  prefixes.push(prefix);
  const metrics = testMetrics();
  const deltas: StateDelta[] = [];
  const queue: IngestQueue = createIngestQueue({ connection: producer, prefix });
  const workers: IngestWorkers = await startWorkers({
    connection: admin,
    prefix,
    logger: silentLogger,
    metrics,
    onStateChange: (d) => deltas.push(d),
    ...extra,
  });
  open.push(queue, workers);
  return { prefix, metrics, deltas, queue, workers, alerts: new AlertStore(admin, prefix) };
}

const alertsJob = (alerts: ReturnType<typeof alert>[]) =>
  ({ type: 'alertmanager', event: { kind: 'alerts', receivedAt: T0, alerts } }) as const;

describe('ingest workers: alerts', () => {
  it('takes alerts from the queue into state and tells the analyzer what is new', async () => {
    const { metrics, deltas, queue, workers, alerts } = await setup();
    expect(workers.running()).toBe(true);
    const batch = [alert({ fingerprint: 'a' }), alert({ fingerprint: 'b', service: 'payments' })];
    await queue.enqueue(alertsJob(batch));
    await waitFor('2 alerts processed', () => metrics.alertsProcessed.value === 2);
    expect(await alerts.openAndRecent(0)).toEqual(expect.arrayContaining(batch));
    expect(deltas.flatMap((d) => d.alerts)).toEqual(batch);
    expect(deltas.every((d) => d.traces === null && d.changes.length === 0)).toBe(true);
    expect(await queue.waitingCounts()).toEqual({ alerts: 0, traces: 0 });
  });

  it('stores duplicates once (repeat and concurrent HA pair) but counts every alert processed', async () => {
    const { metrics, deltas, queue, alerts } = await setup();
    const batch = Array.from({ length: 50 }, (_, i) => alert({ fingerprint: `fp${i}` }));
    // An HA pair: both Alertmanagers post the same group at the same moment.
    await Promise.all([queue.enqueue(alertsJob(batch)), queue.enqueue(alertsJob(batch))]);
    // repeat_interval resends the group later, unchanged.
    await queue.enqueue(alertsJob(batch));
    await waitFor('150 alerts processed', () => metrics.alertsProcessed.value === 150);
    expect(metrics.alertsDeduplicated.value).toBe(100);
    expect(await alerts.openAndRecent(0)).toHaveLength(50);
    const told = deltas.flatMap((d) => d.alerts).map((a) => a.fingerprint);
    expect(told.sort()).toEqual(batch.map((a) => a.fingerprint).sort());

    const r = resolved(batch[0]!, T0 + 60_000);
    await queue.enqueue(alertsJob([r]));
    await waitFor('resolve processed', () => metrics.alertsProcessed.value === 151);
    expect(deltas.at(-1)!.alerts).toEqual([r]);
    const state = await alerts.openAndRecent(0);
    expect(state.find((a) => a.fingerprint === 'fp0')).toEqual(r);
  });

  it('shares a backlog among its fetch loops, processing each job once and keeping the latest state', async () => {
    const prefix = uniquePrefix('workers');
    prefixes.push(prefix);
    const queue = createIngestQueue({ connection: producer, prefix });
    open.push(queue);
    // 60 jobs wait before any worker runs: each fingerprint fires, then fires again (a later episode), then resolves,
    // in jobs far apart in the queue, so fetch loops taking jobs side by side may apply them in any order.
    const fingerprints = Array.from({ length: 20 }, (_, i) => `fp${i}`);
    const stages = [
      fingerprints.map((fingerprint) => alert({ fingerprint })),
      fingerprints.map((fingerprint) => alert({ fingerprint, startsAt: T0 + 60_000 })),
      fingerprints.map((fingerprint) => resolved(alert({ fingerprint, startsAt: T0 + 60_000 }), T0 + 120_000)),
    ];
    for (const stage of stages) for (let k = 0; k < 20; k += 1) await queue.enqueue(alertsJob(stage.slice(k, k + 1)));

    const metrics = testMetrics();
    // One active job per loop: a loop then takes its next job only once its last one is committed, so the other loop,
    // started in the same tick, cannot find the backlog gone (that would take 60 commits' round trips).
    const workers = await startWorkers({ connection: admin, prefix, logger: silentLogger, metrics, alertsFetchLoops: 2, alertsConcurrency: 2 });
    open.push(workers);
    await waitFor('60 alerts processed', () => metrics.alertsProcessed.value === 60);
    await waitFor('60 jobs completed', async () => (await admin.zcard(`${prefix}{q-alerts}:alerts:completed`)) === 60);

    const state = await new AlertStore(admin, prefix).openAndRecent(0);
    expect(state.sort((a, b) => a.fingerprint.localeCompare(b.fingerprint, 'en', { numeric: true }))).toEqual(stages[2]);
    const ids = await admin.zrange(`${prefix}{q-alerts}:alerts:completed`, 0, -1);
    const processedBy = await Promise.all(ids.map((id) => admin.hget(`${prefix}{q-alerts}:alerts:${id}`, 'pb')));
    expect(new Set(processedBy)).toEqual(new Set(['alerts-1', 'alerts-2']));
    expect(metrics.alertsProcessed.value).toBe(60);
  });

  it('stores changes from the alerts queue once by id', async () => {
    const { deltas, queue, prefix } = await setup();
    const c = change({ id: 'deploy-1' });
    await queue.enqueue({ type: 'deploy', event: { kind: 'changes', receivedAt: T0, changes: [c] } });
    await queue.enqueue({ type: 'deploy', event: { kind: 'changes', receivedAt: T0, changes: [c] } });
    const changes = new ChangeStore(admin, prefix);
    await waitFor('change stored', async () => (await changes.since(0)).length === 1);
    await waitFor('both jobs done', async () => (await admin.zcard(`${prefix}{q-alerts}:alerts:completed`)) === 2);
    expect(deltas.flatMap((d) => d.changes)).toEqual([c]);
  });

  it('processes each job in a consumer span that continues the producer trace context', async () => {
    const exporter = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    try {
      const { metrics, queue } = await setup();
      await queue.enqueue({
        ...alertsJob([alert({ fingerprint: 'traced' })]),
        traceContext: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
      });
      await waitFor('traced alert processed', () => metrics.alertsProcessed.value === 1);
      await waitFor('span ended', () => exporter.getFinishedSpans().length === 1);
      const [s] = exporter.getFinishedSpans();
      expect(s!.name).toBe('process alerts');
      expect(s!.kind).toBe(OtelSpanKind.CONSUMER);
      expect(s!.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
      expect(s!.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
      expect(s!.attributes['rcabot.event.type']).toBe('alertmanager');
    } finally {
      trace.disable();
      propagation.disable();
    }
  });
});

describe('ingest workers: retention', () => {
  it('prunes resolved alerts, stale firing alerts and old changes on a timer', async () => {
    const clock = T0 + 48 * 3600_000;
    const { prefix, alerts } = await setup({
      now: () => clock,
      pruneIntervalMs: 30,
      retention: { resolvedAlertsMs: 24 * 3600_000, staleFiringMs: 40 * 3600_000, changesMs: 24 * 3600_000 },
    });
    const changes = new ChangeStore(admin, prefix);
    const keep = [alert({ fingerprint: 'firing-recent', startsAt: clock - 3600_000 }), resolved(alert({ fingerprint: 'resolved-recent' }), clock - 3600_000)];
    const drop = [alert({ fingerprint: 'firing-stale', startsAt: T0 }), resolved(alert({ fingerprint: 'resolved-old' }), T0 + 1000)];
    await alerts.applyAlerts([...keep, ...drop]);
    await changes.applyChanges([change({ id: 'old', at: T0 }), change({ id: 'recent', at: clock - 1000 })]);
    await waitFor('old state pruned', async () => (await alerts.openAndRecent(0)).length === 2 && (await changes.since(0)).length === 1);
    expect((await alerts.openAndRecent(0)).map((a) => a.fingerprint).sort()).toEqual(['firing-recent', 'resolved-recent']);
    expect((await changes.since(0)).map((c) => c.id)).toEqual(['recent']);
  });
});

describe('ingest workers: traces', () => {
  const traceId = 'aa'.repeat(16);
  const start = T0 + 5000;
  const span = (over: Partial<SpanRecord>): SpanRecord => ({
    traceId,
    spanId: '01'.repeat(8),
    parentSpanId: '',
    service: 'checkout',
    kind: SpanKind.SERVER,
    startMs: start,
    durationMs: 40,
    isError: false,
    peer: '',
    peerKind: 'service',
    ...over,
  });

  it('pairs spans, flushes aggregates to Redis and the analyzer, and they reload', async () => {
    let clock = T0 + 10_000;
    const { metrics, deltas, queue, prefix } = await setup({ traceFlushIntervalMs: 50, now: () => clock });
    const spans = [
      span({ spanId: '02'.repeat(8), parentSpanId: '01'.repeat(8), service: 'checkout', kind: SpanKind.CLIENT, peer: 'payments' }),
      span({ spanId: '03'.repeat(8), parentSpanId: '02'.repeat(8), service: 'payments', kind: SpanKind.SERVER, isError: true }),
    ];
    await queue.enqueue({ type: 'otlp', event: { kind: 'spans', receivedAt: T0, spans } });
    await waitFor('spans aggregated', () => metrics.spansAggregated.value === 2);
    clock += 20_000; // past the pairing window, so the failed server span's verdict is settled
    const store = new TraceAggregateStore(admin, prefix);
    // The call is flushed as soon as it pairs; the origin-error verdict one flush later.
    await waitFor('origin error flushed', async () => (await store.load(0)).services[0]?.originErrors === 1);
    const told = deltas.filter((d) => d.traces !== null);
    expect(told.flatMap((d) => d.traces!.edges).map((e) => `${e.caller}->${e.callee}`)).toEqual(['checkout->payments']);
    expect(told.every((d) => d.alerts.length === 0 && d.changes.length === 0)).toBe(true);
    const bucket = Math.floor(start / TRACE_BUCKET_MS) * TRACE_BUCKET_MS;
    const loaded = await store.load(0);
    expect(loaded.edges).toEqual([
      expect.objectContaining({ caller: 'checkout', callee: 'payments', bucket, calls: 1, errors: 1, latencySumMs: 40 }),
    ]);
    expect(loaded.services).toEqual([expect.objectContaining({ service: 'payments', bucket, calls: 1, errors: 1, originErrors: 1 })]);
  });

  it('leaves the traces queue to another replica when traces are off, and still processes alerts', async () => {
    const { metrics, queue, workers } = await setup({ traces: false });
    expect(workers.running()).toBe(true);
    await queue.enqueue({ type: 'otlp', event: { kind: 'spans', receivedAt: T0, spans: [span({ spanId: '04'.repeat(8), service: 'checkout', kind: SpanKind.SERVER })] } });
    await queue.enqueue(alertsJob([alert({ fingerprint: 'z' })]));
    await waitFor('the alert processed', () => metrics.alertsProcessed.value === 1);
    // The alerts job ran after the span batch was queued; the span batch is still waiting for its consumer.
    expect(await queue.waitingCounts()).toEqual({ alerts: 0, traces: 1 });
    expect(metrics.spansAggregated.value).toBe(0);
  });

  it('settles and persists spans still waiting for their pair when closed', async () => {
    const { metrics, queue, workers, prefix } = await setup({ traceFlushIntervalMs: 60_000, now: () => T0 + 6000 });
    const client = span({ spanId: '04'.repeat(8), parentSpanId: '01'.repeat(8), kind: SpanKind.CLIENT, peer: 'postgresql orders-db', peerKind: 'database' });
    await queue.enqueue({ type: 'otlp', event: { kind: 'spans', receivedAt: T0, spans: [client] } });
    await waitFor('span aggregated', () => metrics.spansAggregated.value === 1);
    await workers.close();
    expect(workers.running()).toBe(false);
    const loaded = await new TraceAggregateStore(admin, prefix).load(0);
    expect(loaded.edges).toEqual([
      expect.objectContaining({ caller: 'checkout', callee: 'postgresql orders-db', calleeKind: 'database', calleeUninstrumented: true, calls: 1 }),
    ]);
  });
});
