// The analyzer comes back by itself for the periodic re-ranks an analysis deferred (Engine maxPeriodicReranks):
// once late spans change three incidents' rankings, all three are re-ranked without any further event. Each
// analysis is recorded in the server's metrics.
import { afterAll, describe, expect, it } from 'vitest';
import { Analyzer } from '../../../src/analysis/analyzer.js';
import type { IncidentReport } from '../../../src/model/incident.js';
import { createMetrics } from '../../../src/telemetry/metrics.js';
import { alert, callsToOwnDatabases, MIN, T0 } from '../../support/alerts.js';
import { deleteKeys, newTestRedis, uniquePrefix } from '../../support/redis.js';
import { silentLogger, waitFor } from '../queue/queue-harness.js';

const redis = newTestRedis();
const prefix = uniquePrefix('deferred-reranks');

afterAll(async () => {
  await deleteKeys(redis, prefix);
  await redis.quit();
});

/** Calls from each of a, b, c to its own database in minute `m`, `errors` of 50 failing. */
const minute = (m: number, errors: number) => callsToOwnDatabases(['a', 'b', 'c'], m, errors);

describe('deferred re-ranks', () => {
  it('are run by the analyzer in the following analyses, without a new event', async () => {
    let clock = T0 + 6 * MIN;
    const analyses: IncidentReport[][] = [];
    const metrics = createMetrics();
    /** The deferred-re-ranks gauge as each analysis left it (read when the analysis reports). */
    const deferredGauge: Array<Promise<string>> = [];
    const analyzer = new Analyzer({
      redis,
      prefix,
      logger: silentLogger,
      now: () => clock,
      minIntervalMs: 0,
      engine: { settleMs: 0, maxPeriodicReranks: 1 },
      metrics: metrics.analysis,
      onAnalysis: (reports) => {
        analyses.push(reports);
        deferredGauge.push(metrics.registry.getSingleMetricAsString('rcabot_analysis_deferred_reranks'));
      },
    });
    const tops = (reports: IncidentReport[]) => reports.map((r) => `${r.services[0]}:${r.rootCauses[0]!.service}`).sort();
    try {
      const healthy = Array.from({ length: 46 }, (_, k) => minute(k - 40, 0));
      analyzer.apply({ alerts: [alert('a', 'HighErrorRate', 0), alert('b', 'HighErrorRate', 0), alert('c', 'HighErrorRate', 0)], changes: [], traces: healthy });
      await waitFor('the first analysis', async () => analyses.length === 1);
      expect(tops(analyses[0]!)).toEqual(['a:a', 'b:b', 'c:c']);

      // A minute later, late spans show every database failing since minute 0: one re-rank now, two deferred.
      clock += MIN;
      analyzer.apply({ alerts: [], changes: [], traces: Array.from({ length: 6 }, (_, m) => minute(m, 20)) });
      await waitFor('every incident re-ranked', async () => analyses.length > 1 && tops(analyses.at(-1)!).every((t) => t.endsWith('-db')), 10_000);
      expect(analyses.map((reports) => tops(reports).filter((t) => t.endsWith('-db')).length)).toEqual([0, 1, 2, 3]);
      expect(analyzer.state.deferredReranks).toBe(0);
      const gaugeValues = (await Promise.all(deferredGauge)).map((text) => Number(/^rcabot_analysis_deferred_reranks (\S+)$/m.exec(text)?.[1]));
      expect(gaugeValues).toEqual([0, 2, 1, 0]);
      const text = await metrics.render();
      expect(text).toMatch(/^rcabot_analysis_duration_seconds_count 4$/m);
      expect(text).toMatch(/^rcabot_analysis_open_incidents 3$/m);
      expect(text).toMatch(/^rcabot_analysis_held_clusters 0$/m);
    } finally {
      await analyzer.close();
    }
  });
});
