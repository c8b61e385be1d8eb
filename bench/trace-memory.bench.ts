// Heap held by the trace store's service rows, and its edge rows, over the server's six hours of retention, with spans
// that name no service.version, one per minute (nearly every minute of a real service), or two (a rollout or a canary
// every minute): a service's own spans per its version (decision 026), an edge's calls per its caller's (decision 031).
// Run directly: `node --expose-gc --import tsx bench/trace-memory.bench.ts` (without --expose-gc the figures include garbage).
import { pathToFileURL } from 'node:url';
import { TraceAggregates } from '../src/traces/trace-store.js';
import { emptyCallStats, TRACE_BUCKET_MS, type EdgeAggregate, type ServiceAggregate, type VersionTotals } from '../src/model/trace-aggregate.js';

const SERVICES = 1000;
/** Edges from each service (to the next ones round the ring): about what the replay bench's graph has. */
const EDGES_PER_SERVICE = 3;
const MINUTES = 6 * 60;

type Naming = 'none' | 'one' | 'two';

function spansPerVersion(naming: Naming, service: number): VersionTotals[] | undefined {
  const release = `v1.${service % 50}`;
  if (naming === 'none') return undefined;
  if (naming === 'one') return [{ version: `${release}.0`, calls: 10, errors: 0, latencySumMs: 200 }];
  return [
    { version: `${release}.0`, calls: 6, errors: 0, latencySumMs: 120 },
    { version: `${release}.1`, calls: 4, errors: 0, latencySumMs: 80 },
  ];
}

function heapUsed(): number {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed;
}

/** MB of heap the store holds for SERVICES services × MINUTES minutes, one delta a minute, spans named as `naming` says. */
function heldMB(naming: Naming): number {
  const before = heapUsed();
  const store = new TraceAggregates();
  for (let m = 0; m < MINUTES; m++) {
    const services: ServiceAggregate[] = [];
    for (let s = 0; s < SERVICES; s++) {
      const versions = spansPerVersion(naming, s);
      services.push({ service: `svc-${s}`, bucket: m * TRACE_BUCKET_MS, originErrors: 0, ...emptyCallStats(), calls: 10, latencySumMs: 200, ...(versions ? { versions } : {}) });
    }
    store.apply({ edges: [], services });
  }
  const held = heapUsed() - before;
  if (store.serviceStats('svc-0', 0, MINUTES * TRACE_BUCKET_MS)?.calls !== 10 * MINUTES) throw new Error('trace memory bench: rows lost');
  return Math.round(held / 1e5) / 10;
}

/** MB of heap the store holds for SERVICES × EDGES_PER_SERVICE edges × MINUTES minutes, calls named by their caller's version as `naming` says. */
function edgesHeldMB(naming: Naming): number {
  const before = heapUsed();
  const store = new TraceAggregates();
  for (let m = 0; m < MINUTES; m++) {
    const edges: EdgeAggregate[] = [];
    for (let s = 0; s < SERVICES; s++) {
      const versions = spansPerVersion(naming, s);
      for (let k = 1; k <= EDGES_PER_SERVICE; k++) {
        edges.push({
          caller: `svc-${s}`,
          callee: `svc-${(s + k) % SERVICES}`,
          bucket: m * TRACE_BUCKET_MS,
          calleeUninstrumented: false,
          calleeKind: 'service',
          ...emptyCallStats(),
          calls: 10,
          latencySumMs: 200,
          clientLatencySumMs: 200,
          ...(versions ? { versions } : {}),
        });
      }
    }
    store.apply({ edges, services: [] });
  }
  const held = heapUsed() - before;
  if (store.edgeCalls('svc-0', 'svc-1', 0, MINUTES * TRACE_BUCKET_MS) !== 10 * MINUTES) throw new Error('trace memory bench: edge rows lost');
  return Math.round(held / 1e5) / 10;
}

export function runTraceMemoryBench(): Record<string, number | string> {
  return {
    rows: `${SERVICES} services × ${MINUTES} minutes`,
    gc: globalThis.gc ? 'forced before each reading' : 'not exposed: figures include garbage',
    noVersionMB: heldMB('none'),
    oneVersionMB: heldMB('one'),
    twoVersionsMB: heldMB('two'),
    edgeRows: `${SERVICES * EDGES_PER_SERVICE} edges × ${MINUTES} minutes`,
    edgesNoVersionMB: edgesHeldMB('none'),
    edgesOneVersionMB: edgesHeldMB('one'),
    edgesTwoVersionsMB: edgesHeldMB('two'),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) console.table(runTraceMemoryBench());
