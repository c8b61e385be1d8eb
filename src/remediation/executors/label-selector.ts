// A Deployment's spec.selector as the `labelSelector` query the API server understands (metav1.LabelSelector's
// string form), so the ReplicaSet list is narrowed the way kubectl's GetAllReplicaSets narrows it.
import type { LabelSelector } from '../rollback-plan.js';

export function labelSelectorQuery(selector: LabelSelector): string {
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of selector.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort().join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else parts.push(`!${e.key}`);
  }
  return parts.join(',');
}
