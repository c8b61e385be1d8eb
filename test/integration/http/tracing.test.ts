import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createServer, type Server } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { shutdownTracing, startTracing } from '../../../src/telemetry/tracing.js';
import { startHarness, type Harness } from './server-harness.js';

const FIXTURES = join(import.meta.dirname, '../../../fixtures/payloads');

interface ExportedSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
}

/** A stand-in OTLP/HTTP collector that records the spans it receives (OTLP/JSON). */
function startCollector(): Promise<{ server: Server; url: string; spans: ExportedSpan[] }> {
  const spans: ExportedSpan[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const json = JSON.parse(body.toString('utf8')) as {
        resourceSpans: Array<{ scopeSpans: Array<{ spans: ExportedSpan[] }> }>;
      };
      for (const rs of json.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      resolve({ server, url: `http://127.0.0.1:${port}/v1/traces`, spans });
    }),
  );
}

describe('tracing of ingest requests', () => {
  let h: Harness;
  let collector: Awaited<ReturnType<typeof startCollector>>;
  beforeAll(async () => {
    collector = await startCollector();
    // The exporter reads the standard variable itself; rcabot's config only decides whether to start.
    process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = collector.url;
    expect(startTracing({ tracing: { enabled: true, serviceName: 'rcabot-test' } })).toBe(true);
    h = await startHarness('http-tracing');
  });
  afterAll(async () => {
    await h.close();
    await shutdownTracing();
    delete process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
    await new Promise<void>((r) => collector.server.close(() => r()));
  });

  it('continues the sender trace, puts the context into the job, and exports the request stages', async () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const parentId = 'b7ad6b7169203331';
    const res = await h.app.inject({
      method: 'POST',
      url: '/webhooks/alertmanager',
      headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${parentId}-01` },
      payload: readFileSync(join(FIXTURES, 'alertmanager/two-alerts-one-group.json')),
    });
    expect(res.statusCode).toBe(202);

    const jobs = await h.jobs('alerts');
    expect(jobs).toHaveLength(1);
    const traceparent = jobs[0]!.traceContext?.traceparent;
    expect(traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));

    await shutdownTracing(); // flushes the batch processor
    const byName = new Map(collector.spans.map((s) => [s.name, s]));
    const root = byName.get('ingest alertmanager');
    const parse = byName.get('ingest.parse');
    const enqueue = byName.get('ingest.enqueue');
    expect(root?.traceId).toBe(traceId);
    expect(root?.parentSpanId).toBe(parentId);
    expect(parse?.parentSpanId).toBe(root?.spanId);
    expect(enqueue?.parentSpanId).toBe(root?.spanId);
    // The job carries the enqueue span, so the worker's spans hang under it.
    expect(traceparent?.split('-')[2]).toBe(enqueue?.spanId);
  });
});
