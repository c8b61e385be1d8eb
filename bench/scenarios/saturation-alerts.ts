// Alerts on a service's own resources (CPU, memory, restarts), as kube-state-metrics / cAdvisor rules raise
// them: the faulty root's when it runs out of CPU or memory, and decoys on other services that run hot for
// reasons of their own (a batch job, a cache warm-up) — which the truth counts as noise.
import type { Rng } from './rng.js';
import type { Topology } from './topology-generator.js';
import type { Fault } from './fault-injector.js';
import { alertFingerprint } from './alert-fingerprint.js';
import { namingLabelFor, type AlertInstance, type NamingScheme } from './alert-emitter.js';

export const CPU_ALERTS = ['ContainerCpuUsageHigh', 'CPUThrottlingHigh'] as const;
export const MEMORY_ALERTS = ['ContainerOOMKilled', 'KubePodCrashLooping', 'ContainerMemoryNearLimit'] as const;

function saturationAlert(rng: Rng, topology: Topology, node: string, alertname: string, naming: NamingScheme, startsAt: number, endsAt: number | null, faultIndex: number): AlertInstance {
  const svc = topology.byName.get(node)!;
  const pod = svc.pods.length > 0 ? rng.pick(svc.pods) : `${svc.name}-0`;
  const labels = { alertname, [namingLabelFor(rng, svc, naming)]: svc.name, container: svc.name, namespace: svc.namespace, pod, severity: 'warning' };
  const summary = alertname.includes('Cpu') || alertname.includes('CPU') ? `${svc.name} is using more than 90% of its CPU limit` : `${svc.name} is running out of memory`;
  return { fingerprint: alertFingerprint(labels), labels, annotations: { summary }, startsAt, firedAt: startsAt + rng.int(0, 60) * 1000, endsAt, node, faultIndex };
}

/**
 * The saturation alerts of the faults that have a saturation rule (fired once the resource has been short for the
 * rule's delay), plus `decoys` saturation alerts on services in `unrelated` at random times.
 */
export function emitSaturationAlerts(
  rng: Rng,
  topology: Topology,
  faults: readonly Fault[],
  unrelated: readonly string[],
  decoys: number,
  window: { startMs: number; endMs: number },
  naming: NamingScheme,
): AlertInstance[] {
  const out: AlertInstance[] = [];
  faults.forEach((f, i) => {
    if (!f.saturation?.alerts) return;
    const startsAt = f.startMs + f.rampMs / 2 + f.saturation.delayMs;
    if (startsAt < window.endMs - 60_000) out.push(saturationAlert(rng, topology, f.root, f.saturation.alertname, naming, startsAt, null, i));
  });
  const services = unrelated.filter((n) => topology.byName.get(n)?.kind === 'service');
  for (let k = 0; k < decoys && services.length > 0; k++) {
    const startsAt = Math.round(rng.between(window.startMs + 5 * 60_000, window.endMs - 2 * 60_000));
    const lasts = rng.int(3, 12) * 60_000;
    out.push(saturationAlert(rng, topology, rng.pick(services), rng.pick([...CPU_ALERTS, ...MEMORY_ALERTS]), naming, startsAt, startsAt + lasts < window.endMs ? startsAt + lasts : null, -1));
  }
  return out;
}
