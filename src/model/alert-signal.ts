// Which way an alert's anomaly travels along calls. Errors, latency, availability and saturation travel from
// callee to caller: a failing database makes its callers fail, so the cause of such an alert is at or below its
// service. Traffic travels the other way: a caller that fails before calling on, gives up early or simply sends
// less starves every service below it, so the cause of a request-rate alert is at or above its service
// (the four golden signals; PetShop's and our generator's request-rate alerts are of this kind).
// A third kind travels nowhere yet: a certificate expiring in days, a disk predicted to fill, a failed backup warn
// of a future problem on their own service; nothing fails because of them now, so they relate to no other alert.
// Among failures, saturation of the service's own resources (CPU, memory, restarts) says more: the service is
// where the slowdown or the errors begin, not only where they show (isSaturation).
import type { Alert } from './alert.js';

export type AlertSignal = 'failure' | 'traffic' | 'local';

/** An explicit `signal` label wins over the name (values as in the golden signals, plus `local`). */
const SIGNAL_LABEL = 'signal';
const TRAFFIC_LABEL_VALUES = new Set(['traffic', 'rate', 'throughput']);
const LOCAL_LABEL_VALUES = new Set(['local', 'none']);
const SATURATION_LABEL_VALUES = new Set(['saturation', 'resource']);

/**
 * Warnings of a future problem: CertificateExpiringSoon, CertManagerCertExpirySoon, NodeFilesystemSpaceFillingUp,
 * DiskWillFillIn4Hours, BackupJobFailed, LicenseExpiring… — but not CertificateExpired or NodeFilesystemFull,
 * which break calls now.
 */
const LOCAL_NAME = /expir(?:y|es|ing)[-_ ]?soon|cert\w*expiring|(?:cert|certificate|licen[cs]e)\w*(?:will)?expir(?:es|ing)\b|filling[-_ ]?up|will[-_ ]?fill|predict|backup/i;

/**
 * Names of request-rate alerts: RequestRateDrop, RequestRateShift, TrafficDrop, LowTraffic, ThroughputDrop,
 * HighRequestRate, HTTPRequestsRateLow, NoRequests, LowQPS… Names that also speak of errors, latency or
 * saturation (HighErrorRate, RequestErrorRate, HighRequestLatency, DroppedMessages) are failures.
 */
const TRAFFIC_NAME =
  /traffic|throughput|workload|(?:requests?|reqs?|calls?|messages?|events?|hits?)[-_ ]?(?:rate|count|volume)|^no[-_ ]?(?:requests?|calls?)|(?:QPS|RPS|TPS)|\b(?:qps|rps|tps)\b/i;
const FAILURE_WORD = /error|fail|5\d\d|latenc|slow|timeout|duration|saturat|throttl|reject|dropped|unavailab|availability/i;

/** Memoised per name: the same few alert names recur in every analysis. */
const byName = new Map<string, AlertSignal>();
const MAX_MEMO = 10_000;

export function alertSignal(alert: Pick<Alert, 'name' | 'labels'>): AlertSignal {
  const label = alert.labels[SIGNAL_LABEL];
  if (label !== undefined) {
    const value = label.toLowerCase();
    return TRAFFIC_LABEL_VALUES.has(value) ? 'traffic' : LOCAL_LABEL_VALUES.has(value) ? 'local' : 'failure';
  }
  let signal = byName.get(alert.name);
  if (signal === undefined) {
    signal = LOCAL_NAME.test(alert.name) ? 'local' : TRAFFIC_NAME.test(alert.name) && !FAILURE_WORD.test(alert.name) ? 'traffic' : 'failure';
    if (byName.size >= MAX_MEMO) byName.clear();
    byName.set(alert.name, signal);
  }
  return signal;
}

/**
 * Names of alerts on the service's own resources: ContainerCpuUsageHigh, CPUThrottlingHigh, ContainerOOMKilled,
 * ContainerMemoryNearLimit, HostOutOfMemory, JvmHeapUsageHigh, KubePodCrashLooping, ContainerRestarting,
 * GCPauseTooLong, ThreadPoolExhausted, FileDescriptorsExhausted, SwapUsageHigh; its disk (ContainerDiskIOHigh,
 * NodeDiskIOSaturation, HighIOWait, DiskLatencyHigh) or space (DiskUsageHigh, DiskFull), its network interface
 * (ContainerNetworkReceiveErrors, PacketLossHigh, NetworkTransmitDropsHigh) and its sockets (TcpSocketsExhausted) — the
 * resources fault-injection studies exhaust (CPU, memory, disk, network loss, sockets). Not a connection pool: one runs dry when what it
 * connects to is slow, so it says nothing about where the trouble starts.
 */
const SATURATION_NAME =
  /cpu|memory|oom|heap|crash[-_ ]?loop|restart|gc[-_ ]?(?:pause|time|overhead)|garbage[-_ ]?collect|thread[-_ ]?pool|file[-_ ]?descriptor|swap|disk[-_ ]?(?:io|read|write|busy|saturat|pressure|latenc|usage|util|full|space)|io[-_ ]?(?:wait|pressure|saturat)|packet[-_ ]?loss|network\w*?(?:errors?|errs|drops?|loss)|socket/i;
/**
 * Short forms that name a resource only as whole words of the name (camelCase, snake_case or spaced): `mem`
 * (HighMem, MemUsageHigh, container_mem) but not memcached or member; `fs` reads or writes (container_fs_writes_total).
 */
const SATURATION_WORDS = / mem | fs (?:reads?|writes?|io|usage) /;

/** The name's words, lower case, each between spaces: "HighMemUsage" → " high mem usage ". */
function spacedWords(name: string): string {
  return ` ${name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[^A-Za-z0-9]+/g, ' ').toLowerCase()} `;
}
/**
 * Names saying the service's own process is down or unreachable to its scraper (TargetDown, InstanceDown: `up == 0`),
 * and the exporters' own words for a datastore or broker that is down (PostgresqlDown, MysqlDown, RedisDown,
 * KafkaBrokerDown, EtcdMemberDown: `pg_up == 0` and the like, as the common Prometheus rule sets name them). A failing
 * callee does not take its callers' processes down, so these too say the trouble starts at the service.
 * Not a failed health or blackbox probe (WebsiteDown, EndpointDown): one fails when what the service depends on fails.
 */
export const PROCESS_DOWN_NAME =
  /target[-_ ]?down|instance[-_ ]?down|^(?:postgres\w*|mysql|mariadb|mongo\w*|redis|memcached|kafka\w*|rabbitmq|elasticsearch|cassandra|etcd\w*|zookeeper|nats|clickhouse)[-_ ]?down$/i;
const saturationByName = new Map<string, boolean>();

/**
 * Whether a failure alert reports saturation of its own service's resources, or its process down (a `signal` label
 * of `saturation` or `resource` says so explicitly). Such an alert is evidence that the trouble originates at the
 * service: a callee that fails makes its callers slow or fail, but not run out of CPU or memory.
 */
export function isSaturation(alert: Pick<Alert, 'name' | 'labels'>): boolean {
  const label = alert.labels[SIGNAL_LABEL];
  if (label !== undefined) return SATURATION_LABEL_VALUES.has(label.toLowerCase());
  if (alertSignal(alert) !== 'failure') return false;
  let saturated = saturationByName.get(alert.name);
  if (saturated === undefined) {
    saturated = SATURATION_NAME.test(alert.name) || SATURATION_WORDS.test(spacedWords(alert.name)) || PROCESS_DOWN_NAME.test(alert.name);
    if (saturationByName.size >= MAX_MEMO) saturationByName.clear();
    saturationByName.set(alert.name, saturated);
  }
  return saturated;
}

/** Names of alerts on a service's latency (HighRequestLatency, SlowResponses, LatencySLOBreach, HighLatencyP95…). */
const LATENCY_NAME = /latenc|slow|duration|response[-_ ]?time|p9\d|apdex/i;
/** Names of alerts on a service's errors (HighErrorRate, Http5xxRatioHigh, ErrorBudgetBurn, RequestsFailing…). */
const ERRORS_NAME = /error|5xx|5\d\d|fail|unavailab|availability/i;

/**
 * Which symptom a failure alert watches: its service's `errors` or its `latency` (a `signal` label of `errors` or
 * `latency` says so explicitly); `any` when the name says both, or neither (saturation, a health probe), or the alert
 * is not a failure. One service can show two failures at once in
 * a storm, one as errors and one as slowness; the clustering tells them apart by this (correlate/root-split.ts).
 */
export function alertSymptom(alert: Pick<Alert, 'name' | 'labels'>): 'errors' | 'latency' | 'any' {
  const label = alert.labels[SIGNAL_LABEL]?.toLowerCase();
  if (label !== undefined) return label === 'errors' || label === 'error' ? 'errors' : label === 'latency' ? 'latency' : 'any';
  if (alertSignal(alert) !== 'failure' || isSaturation(alert)) return 'any';
  const latency = LATENCY_NAME.test(alert.name);
  const errors = ERRORS_NAME.test(alert.name);
  return latency === errors ? 'any' : latency ? 'latency' : 'errors';
}
