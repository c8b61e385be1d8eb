import { describe, it, expect } from 'vitest';
import { Writable } from 'node:stream';
import { context, trace } from '@opentelemetry/api';
import { createLogger } from '../../../src/telemetry/logger.js';
import { createMetrics } from '../../../src/telemetry/metrics.js';
import { extractTraceContext, injectTraceContext } from '../../../src/telemetry/tracing.js';

function capture(): { stream: Writable; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return { stream, lines: () => chunks.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('createLogger', () => {
  it('redacts authorization and signature headers and secrets in config objects', () => {
    const out = capture();
    const logger = createLogger({ logLevel: 'info' }, out.stream);
    logger.info(
      {
        req: { headers: { authorization: 'Bearer abc', 'x-hub-signature-256': 'sha256=ff', 'user-agent': 'am' } },
        config: { ingestToken: 'tok', slack: { botToken: 'xoxb', signingSecret: 'ss' } },
      },
      'hello',
    );
    const text = JSON.stringify(out.lines());
    for (const secret of ['Bearer abc', 'sha256=ff', '"tok"', 'xoxb', '"ss"']) expect(text).not.toContain(secret);
    expect(text).toContain('"user-agent":"am"');
    expect(text).toContain('[redacted]');
  });

  it('respects the configured level', () => {
    const out = capture();
    const logger = createLogger({ logLevel: 'warn' }, out.stream);
    logger.info('dropped');
    logger.warn('kept');
    expect(out.lines().map((l) => l.msg)).toEqual(['kept']);
  });
});

describe('createMetrics', () => {
  it('exposes the contract metric names, the queue gauge filled at scrape time, and process metrics', async () => {
    const m = createMetrics();
    m.alertsProcessed.inc(3);
    m.ingestRejected.inc({ source: 'alertmanager', reason: 'invalid' });
    m.setQueueWaitingSource(async () => ({ ingest: 7, analyze: 0 }));
    const text = await m.render();
    expect(text).toMatch(/^# TYPE rcabot_alerts_processed_total counter$/m);
    expect(text).toMatch(/^rcabot_alerts_processed_total 3$/m);
    expect(text).toMatch(/^# TYPE rcabot_queue_waiting gauge$/m);
    expect(text).toMatch(/^rcabot_queue_waiting\{queue="ingest"\} 7$/m);
    expect(text).toMatch(/^rcabot_queue_waiting\{queue="analyze"\} 0$/m);
    expect(text).toMatch(/^rcabot_ingest_rejected_total\{source="alertmanager",reason="invalid"\} 1$/m);
    expect(text).toMatch(/^# TYPE rcabot_alerts_deduplicated_total counter$/m);
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('still answers a scrape when the queue cannot be asked', async () => {
    const m = createMetrics();
    m.setQueueWaitingSource(async () => {
      throw new Error('redis down');
    });
    const text = await m.render();
    expect(text).toMatch(/^# TYPE rcabot_queue_waiting gauge$/m);
    expect(text).not.toMatch(/^rcabot_queue_waiting\{/m);
  });

  it('keeps registries of separate instances apart', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.alertsProcessed.inc(5);
    expect(await b.render()).toMatch(/^rcabot_alerts_processed_total 0$/m);
  });
});

describe('trace context helpers', () => {
  it('without a registered propagator, inject yields an empty carrier and extract is harmless', () => {
    const carrier = injectTraceContext(context.active());
    expect(carrier).toEqual({});
    const ctx = extractTraceContext({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    // The API's no-op propagator restores nothing.
    expect(trace.getSpanContext(ctx)).toBeUndefined();
  });
});
