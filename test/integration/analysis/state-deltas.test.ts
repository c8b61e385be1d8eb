// The analyzer's feed across replicas: what any replica's workers commit reaches the one analyzer.
import { afterAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { AnalysisRunner } from '../../../src/analysis/analysis-runner.js';
import { createIngestQueue } from '../../../src/queue/ingest-queue.js';
import { startWorkers } from '../../../src/queue/workers.js';
import { AlertStore, DELTAS_KEPT, encodeAlerts } from '../../../src/store/alert-store.js';
import { ChangeStore } from '../../../src/store/change-store.js';
import { redisKeys } from '../../../src/store/keys.js';
import { StateDeltaReader, compareIds } from '../../../src/store/state-deltas.js';
import { TraceAggregateStore } from '../../../src/store/trace-aggregate-store.js';
import { TRACE_BUCKET_MS, emptyCallStats, type TraceDelta } from '../../../src/model/trace-aggregate.js';
import { deleteKeys, newTestRedis, uniquePrefix } from '../../support/redis.js';
import { T0, alert, change, resolved } from '../store/alert-fixtures.js';
import { producerRedis, silentLogger, waitFor } from '../queue/queue-harness.js';

const admin = newTestRedis();
const prefixes: string[] = [];
function freshPrefix(): string {
  const p = uniquePrefix('state-deltas');
  prefixes.push(p);
  return p;
}

afterAll(async () => {
  for (const p of prefixes) await deleteKeys(admin, p);
  await admin.quit();
});

const traceDelta = (calls: number): TraceDelta => ({
  edges: [{ caller: 'checkout', callee: 'orders-db', bucket: T0 - (T0 % TRACE_BUCKET_MS), calleeKind: 'database', calleeUninstrumented: true, ...emptyCallStats(), calls }],
  services: [],
});

describe('StateDeltaReader', () => {
  it('reads what was committed after its cursor, in order, with the newest state of each alert, once', async () => {
    const prefix = freshPrefix();
    const alerts = new AlertStore(admin, prefix);
    const reader = new StateDeltaReader(admin, prefix);
    await alerts.applyAlerts([alert({ fingerprint: 'before' })]);
    const cursor = await reader.tail();

    const a = alert({ fingerprint: 'a' });
    await alerts.applyAlerts([a, alert({ fingerprint: 'b' })]);
    await alerts.applyAlerts([resolved(a, T0 + 60_000)]);
    await alerts.applyAlerts([alert({ fingerprint: 'b' })]); // a duplicate: commits nothing, adds no entry
    await new ChangeStore(admin, prefix).applyChanges([change({ id: 'd1' }), change({ id: 'd2', service: 'orders' })]);
    await new TraceAggregateStore(admin, prefix).persist(traceDelta(7), T0);

    const d = await reader.read(cursor);
    expect(d.gap).toBe(false);
    expect(d.entries).toBe(4);
    // 'a' is named by two entries and read once, in its newest state; 'before' predates the cursor.
    expect(d.alerts.map((x) => [x.fingerprint, x.status]).sort()).toEqual([
      ['a', 'resolved'],
      ['b', 'firing'],
    ]);
    expect(d.changes.map((c) => c.id)).toEqual(['d1', 'd2']);
    expect(d.traces).toEqual([traceDelta(7)]);
    expect(compareIds(d.cursor.alerts.id, cursor.alerts.id)).toBeGreaterThan(0);
    expect(d.cursor.alerts.seq).toBe(cursor.alerts.seq + 2);

    const again = await reader.read(d.cursor);
    expect(again).toMatchObject({ alerts: [], changes: [], traces: [], entries: 0, gap: false, cursor: d.cursor });
  });

  it('reports a gap when entries it had not read were trimmed from the capped stream', async () => {
    const prefix = freshPrefix();
    const alerts = new AlertStore(admin, prefix);
    const reader = new StateDeltaReader(admin, prefix);
    const cursor = await reader.tail();
    const none = { id: '0-0', seq: 0 };
    expect(cursor).toEqual({ alerts: none, changes: none, traces: none });
    // One entry per commit; well past the cap, so the oldest (unread) entries are trimmed.
    for (let i = 0; i < DELTAS_KEPT + 300; i++) await alerts.applyBatches([], [encodeAlerts([alert({ fingerprint: `fp${i}` })])], false);
    expect(await admin.xlen(redisKeys(prefix).alerts.deltas)).toBeLessThan(DELTAS_KEPT + 300);
    expect((await reader.read(cursor)).gap).toBe(true);
    // A reader that kept up (its cursor at the tail) has no gap, nor one that read everything in time.
    expect((await reader.read(await reader.tail())).gap).toBe(false);
    let c = await reader.tail();
    for (let i = 0; i < DELTAS_KEPT + 300; i++) {
      await alerts.applyBatches([], [encodeAlerts([alert({ fingerprint: `again${i}` })])], false);
      if (i % 100 === 99) {
        const d = await reader.read(c);
        expect(d.gap).toBe(false);
        expect(d.alerts).toHaveLength(100);
        c = d.cursor;
      }
    }
  });
});

describe('AnalysisRunner', () => {
  it("folds in alerts and deploys committed by another replica's workers, and rebuilds when it falls behind", async () => {
    const prefix = freshPrefix();
    const producer = await producerRedis();
    const queue = createIngestQueue({ connection: producer, prefix });
    // "Replica B": workers with no analyzer of their own (nobody listens to their commits in this process).
    const workers = await startWorkers({ connection: admin, prefix, logger: silentLogger });
    // "Replica A": the analyzer, holding the lease.
    // It reads only when told to (catchUp), so the test decides when it falls behind.
    const warnings: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line).msg) });
    const runner = new AnalysisRunner({ redis: admin, prefix, logger, deltaPollMs: 3_600_000, leaseRenewMs: 60_000 });
    try {
      await runner.start();
      expect(runner.isLeader).toBe(true);
      const engine = () => runner.analyzer.state;
      expect(engine().alerts.size).toBe(0);

      await queue.enqueue({ type: 'alertmanager', event: { kind: 'alerts', receivedAt: T0, alerts: [alert({ fingerprint: 'x' }), alert({ fingerprint: 'y', service: 'orders' })] } });
      await queue.enqueue({ type: 'deploy', event: { kind: 'changes', receivedAt: T0, changes: [change({ id: 'deploy-1' })] } });
      await waitFor('both jobs processed', async () => (await queue.waitingCounts()).alerts === 0 && (await admin.xlen(redisKeys(prefix).changes.deltas)) === 1);
      await waitFor('the alerts committed', async () => (await admin.hlen(redisKeys(prefix).alerts.state)) === 2);
      expect(engine().alerts.size).toBe(0);
      await runner.catchUp();
      expect([...engine().alerts.keys()].sort()).toEqual(['x', 'y']);
      expect([...engine().changes.keys()]).toEqual(['deploy-1']);

      // Falling behind: more commits than the stream keeps before the next read. The runner notices the
      // trimmed entries and rebuilds from the stores, so nothing is missed.
      const alertStore = new AlertStore(admin, prefix);
      const burst = Array.from({ length: DELTAS_KEPT + 300 }, (_, i) => alert({ fingerprint: `burst${i}` }));
      for (const b of burst) await alertStore.applyBatches([], [encodeAlerts([b])], false);
      expect(warnings).toEqual([]);
      await runner.catchUp();
      expect(warnings).toEqual(['analyzer fell behind the capped delta streams: rebuilding from Redis']);
      expect(engine().alerts.size).toBe(2 + burst.length);
      // After the rebuild it reads on from the new tail.
      await alertStore.applyAlerts([alert({ fingerprint: 'after' })]);
      await runner.catchUp();
      expect(engine().alerts.has('after')).toBe(true);
    } finally {
      await runner.close();
      await workers.close();
      await queue.close();
      await producer.quit();
    }
  });
});
