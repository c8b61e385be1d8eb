// The readable replay report: what an on-call engineer would see for each incident, plain text.
import type { IncidentReport } from '../model/incident.js';

export function renderIncidentsText(incidents: readonly IncidentReport[], at: number | null): string {
  const out: string[] = [];
  const when = at === null ? '' : ` at ${new Date(at).toISOString()}`;
  const open = incidents.filter((i) => i.status === 'open').length;
  out.push(`rcabot: ${incidents.length} incident${incidents.length === 1 ? '' : 's'} (${open} open)${when}`);
  for (const inc of incidents) {
    out.push('');
    out.push(`● ${inc.title}`);
    out.push(`  ${inc.id} · ${inc.status} · opened ${inc.openedAt} · ${inc.alerts.length} alert${inc.alerts.length === 1 ? '' : 's'} on ${inc.services.length} service${inc.services.length === 1 ? '' : 's'}`);
    if (inc.services.length > 0) out.push(`  services: ${truncateList(inc.services, 8)}`);
    if (inc.rootCauses.length === 0) {
      out.push('  no root-cause candidate yet');
    } else {
      out.push('  likely root causes:');
      inc.rootCauses.slice(0, 5).forEach((rc, i) => {
        out.push(`   ${i + 1}. ${rc.service}  ${rc.score.toFixed(2)}`);
        for (const e of rc.evidence.slice(0, 4)) out.push(`      - [${e.kind}] ${e.detail}`);
      });
    }
    if (inc.similarIncidents.length > 0) {
      out.push('  similar past incidents:');
      for (const s of inc.similarIncidents.slice(0, 3)) out.push(`   ${s.id}  ${s.similarity.toFixed(2)}  root cause: ${s.rootCause}`);
    }
    if (inc.remediations.length > 0) {
      out.push('  suggested runbooks:');
      for (const r of inc.remediations) out.push(`   ${r.runbook}: ${r.action} ${r.target}`);
    }
  }
  return out.join('\n') + '\n';
}

function truncateList(items: readonly string[], max: number): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} (+${items.length - max} more)`;
}
