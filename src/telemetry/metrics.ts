// The Prometheus registry and every metric rcabot exports; names of CONTRACT §4 are part of the contract.
import { Registry, Counter, Gauge, Histogram, collectDefaultMetrics } from 'prom-client';

/** Reason label values of rcabot_ingest_rejected_total. */
export type RejectReason =
  | 'invalid' // failed schema validation
  | 'malformed' // not parseable JSON / protobuf
  | 'unauthorized'
  | 'bad_signature'
  | 'too_large'
  | 'unsupported_media_type'
  | 'forbidden_key'
  | 'invalid_utf8'
  | 'bad_encoding'
  | 'unavailable';

/** How many jobs wait in each queue; asked at scrape time. */
export type QueueWaitingSource = () => Promise<Record<string, number>>;

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  /** Payloads (or batch items) refused at the HTTP edge, by source and reason. */
  ingestRejected: Counter<'source' | 'reason'>;
  /** Items (alerts, changes, spans) accepted and queued, by source. */
  ingestAccepted: Counter<'source'>;
  /** Alerts taken from the queue into state, duplicates included (CONTRACT §4). */
  alertsProcessed: Counter;
  /** Alerts recognised as repeats of one already in state. */
  alertsDeduplicated: Counter;
  /** Spans folded into trace aggregates. */
  spansAggregated: Counter;
  /** Jobs not yet processed, by queue (CONTRACT §4); filled on scrape from the source set below. */
  queueWaiting: Gauge<'queue'>;
  /** What the analyzing process did in its last analysis, and how long each took. */
  analysis: AnalysisMetrics;
  /** Sets what the queue-waiting gauge asks at scrape time (the HTTP process and workers may differ). */
  setQueueWaitingSource(source: QueueWaitingSource | undefined): void;
  /** The Prometheus text exposition of everything in the registry. */
  render(): Promise<string>;
  contentType: string;
}

/** The analyzer's own figures: exported by the process that holds the analyzer lease. */
export interface AnalysisMetrics {
  /** Wall time of each analysis (clustering, ranking, reports), in seconds. */
  duration: Histogram;
  /** Open incidents after the last analysis. */
  openIncidents: Gauge;
  /** Clusters the last analysis held back because their first alert had not settled yet. */
  heldClusters: Gauge;
  /** Periodic re-ranks the last analysis left for the next one (Engine maxPeriodicReranks). */
  deferredReranks: Gauge;
}

/** Creates a fresh registry with rcabot's metrics plus the default process metrics. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  let waitingSource: QueueWaitingSource | undefined;

  const queueWaiting = new Gauge({
    name: 'rcabot_queue_waiting',
    help: 'Jobs not yet processed, by queue.',
    labelNames: ['queue'] as const,
    registers: [registry],
    async collect() {
      if (!waitingSource) return;
      try {
        const counts = await waitingSource();
        this.reset();
        for (const [queue, n] of Object.entries(counts)) this.set({ queue }, n);
      } catch {
        // Redis unreachable: expose no samples rather than failing the whole scrape (readyz reports the outage).
        this.reset();
      }
    },
  });

  return {
    registry,
    httpRequests: new Counter({
      name: 'rcabot_http_requests_total',
      help: 'HTTP requests answered, by method, route and status.',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'rcabot_http_request_duration_seconds',
      help: 'HTTP request latency in seconds, by method, route and status.',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    ingestRejected: new Counter({
      name: 'rcabot_ingest_rejected_total',
      help: 'Payloads or batch items rejected at ingest, by source and reason.',
      labelNames: ['source', 'reason'] as const,
      registers: [registry],
    }),
    ingestAccepted: new Counter({
      name: 'rcabot_ingest_accepted_total',
      help: 'Items (alerts, changes, spans) accepted and queued, by source.',
      labelNames: ['source'] as const,
      registers: [registry],
    }),
    alertsProcessed: new Counter({
      name: 'rcabot_alerts_processed_total',
      help: 'Alerts taken from the queue into state, duplicates included.',
      registers: [registry],
    }),
    alertsDeduplicated: new Counter({
      name: 'rcabot_alerts_deduplicated_total',
      help: 'Alerts recognised as repeats of an alert already in state.',
      registers: [registry],
    }),
    spansAggregated: new Counter({
      name: 'rcabot_spans_aggregated_total',
      help: 'Spans folded into trace aggregates.',
      registers: [registry],
    }),
    queueWaiting,
    analysis: {
      duration: new Histogram({
        name: 'rcabot_analysis_duration_seconds',
        help: 'Wall time of each analysis (clustering, ranking, reports) in seconds.',
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
        registers: [registry],
      }),
      openIncidents: new Gauge({ name: 'rcabot_analysis_open_incidents', help: 'Open incidents after the last analysis.', registers: [registry] }),
      heldClusters: new Gauge({
        name: 'rcabot_analysis_held_clusters',
        help: 'Clusters the last analysis held back until their first alert settles.',
        registers: [registry],
      }),
      deferredReranks: new Gauge({
        name: 'rcabot_analysis_deferred_reranks',
        help: 'Periodic re-ranks the last analysis left for the next one.',
        registers: [registry],
      }),
    },
    setQueueWaitingSource(source) {
      waitingSource = source;
    },
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}
