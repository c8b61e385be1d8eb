// The same distinct alerts in the two wire formats the HTTP ingest bench sends: Alertmanager's own
// API v2 (`POST /api/v2/alerts`, a JSON array of postable alerts) and its webhook v4 (what rcabot receives).

export type AlertFormat = 'alertmanager-api-v2' | 'webhook-v4';

const SERVICES = 40;
/** A fixed base time (recent enough that Alertmanager keeps the alerts firing for its resolve_timeout). */
const BASE_MS = Date.now() - 60_000;

interface BenchAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/** Alert `index` of run `runId`; a later `episode` is the same alert firing again (later startsAt). */
function benchAlert(runId: string, index: number, episode: number): BenchAlert {
  const service = `svc-${index % SERVICES}`;
  const severity = index % 5 === 0 ? 'critical' : 'warning';
  return {
    labels: {
      alertname: 'HighErrorRate',
      service,
      namespace: 'prod',
      pod: `${service}-7d9f8b6c5-${index.toString(36)}`,
      severity,
      team: 'payments',
      run: runId,
    },
    annotations: { summary: `5xx ratio above 5% on ${service}`, runbook: 'https://runbooks.example/high-error-rate' },
    startsAt: new Date(BASE_MS + episode * 1000 + (index % 1000)).toISOString(),
    generatorURL: `http://prometheus:9090/graph?g0.expr=job%3A${service}`,
    // Alertmanager puts a 16-hex label hash here; any distinct 16-hex value per alert serves.
    fingerprint: `${runId.slice(0, 6)}${index.toString(16).padStart(10, '0')}`,
  };
}

/** One request body of `n` alerts from `from`, in the given format. */
export function alertBodies(format: AlertFormat, runId: string, from: number, n: number, episode: number): string {
  const alerts: BenchAlert[] = new Array(n);
  for (let k = 0; k < n; k++) alerts[k] = benchAlert(runId, from + k, episode);
  if (format === 'alertmanager-api-v2') {
    // Postable alerts carry no fingerprint or status: Alertmanager derives both.
    return JSON.stringify(alerts.map(({ labels, annotations, startsAt, generatorURL }) => ({ labels, annotations, startsAt, generatorURL })));
  }
  return JSON.stringify({
    version: '4',
    groupKey: '{}:{alertname="HighErrorRate"}',
    status: 'firing',
    receiver: 'rcabot',
    groupLabels: { alertname: 'HighErrorRate' },
    commonLabels: { alertname: 'HighErrorRate', namespace: 'prod', team: 'payments' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    truncatedAlerts: 0,
    alerts: alerts.map((a) => ({ status: 'firing', ...a, endsAt: '0001-01-01T00:00:00Z' })),
  });
}
