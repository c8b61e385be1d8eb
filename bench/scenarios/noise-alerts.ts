// Alerts that have nothing to do with any incident: disk space, certificate expiry, crash loops and
// scrape failures on unrelated services and hosts — what an on-call channel is full of anyway.
import type { Rng } from './rng.js';
import type { Topology } from './topology-generator.js';
import { alertFingerprint } from './alert-fingerprint.js';
import { namingLabelFor, type AlertInstance, type NamingScheme } from './alert-emitter.js';

function hostName(rng: Rng): string {
  return `ip-10-0-${rng.int(0, 31)}-${rng.int(2, 254)}.ec2.internal`;
}

export function emitNoiseAlerts(
  rng: Rng,
  topology: Topology,
  unrelated: readonly string[],
  count: number,
  window: { startMs: number; endMs: number },
  naming: NamingScheme,
): AlertInstance[] {
  const out: AlertInstance[] = [];
  const services = unrelated.filter((n) => topology.byName.get(n)?.instrumented);
  for (let i = 0; i < count; i++) {
    const kind = rng.pick(['disk', 'cert', 'cert', 'crashloop', 'cpu', 'target-down', 'backup'] as const);
    const svcName = services.length > 0 ? rng.pick(services) : null;
    const svc = svcName ? topology.byName.get(svcName)! : null;
    let labels: Record<string, string>;
    let summary: string;
    let backdatedMs = 0;
    let lastsMs: number | null = null;
    if (kind === 'disk' || kind === 'cpu' || !svc) {
      const instance = `${hostName(rng)}:9100`;
      labels =
        kind === 'cpu'
          ? { alertname: 'HostHighCpuLoad', instance, job: 'node-exporter', severity: 'warning' }
          : { alertname: 'NodeFilesystemSpaceFillingUp', device: '/dev/nvme0n1p1', fstype: 'ext4', instance, job: 'node-exporter', mountpoint: '/var/lib/containerd', severity: 'warning' };
      summary = kind === 'cpu' ? `CPU load above 90% on ${instance}` : `Filesystem on ${instance} is predicted to run out of space within 24 hours`;
      if (kind === 'cpu') lastsMs = rng.int(3, 12) * 60_000;
    } else if (kind === 'cert') {
      const label = namingLabelFor(rng, svc, naming);
      labels = { alertname: rng.pick(['CertificateExpiringSoon', 'CertManagerCertExpirySoon']), [label]: svc.name, namespace: svc.namespace, secret: `${svc.name}-tls`, severity: 'warning' };
      summary = `TLS certificate of ${svc.name} expires in ${rng.int(3, 14)} days`;
      backdatedMs = rng.int(1, 48) * 3_600_000;
    } else if (kind === 'crashloop') {
      const label = namingLabelFor(rng, svc, naming);
      const pod = svc.pods.length > 0 ? rng.pick(svc.pods) : `${svc.name}-0`;
      labels = { alertname: 'KubePodCrashLooping', [label]: svc.name, container: svc.name, namespace: svc.namespace, pod, severity: 'warning' };
      summary = `Pod ${svc.namespace}/${pod} is restarting repeatedly`;
      lastsMs = rng.chance(0.5) ? rng.int(4, 15) * 60_000 : null;
    } else if (kind === 'target-down') {
      labels = { alertname: 'TargetDown', job: svc.name, namespace: svc.namespace, severity: 'warning' };
      summary = `${rng.int(10, 50)}% of the ${svc.name} targets are down`;
      lastsMs = rng.int(2, 8) * 60_000;
    } else {
      labels = { alertname: 'BackupJobFailed', job: rng.pick(['pg-backup', 'velero', 'etcd-backup']), namespace: 'ops', severity: 'warning' };
      summary = 'The nightly backup job failed';
      backdatedMs = rng.int(1, 8) * 3_600_000;
    }
    const firedAt = Math.round(rng.between(window.startMs + 5 * 60_000, window.endMs - 60_000));
    const startsAt = firedAt - backdatedMs - rng.int(0, 5) * 60_000;
    const endsAt = lastsMs !== null && firedAt + lastsMs < window.endMs ? firedAt + lastsMs : null;
    out.push({ fingerprint: alertFingerprint(labels), labels, annotations: { summary }, startsAt, firedAt, endsAt, node: svc?.name ?? '', faultIndex: -1 });
  }
  return out;
}
