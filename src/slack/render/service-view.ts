// `/rca service <name>`: callers and callees with error rate and latency now (and before), open alerts,
// recent deploys and the incidents that involve the service.
import type { CallSummary, ServiceOverview } from '../service-overview.js';
import { context, escapeMrkdwn, fitLines, header, message, section, type Block, type SlackMessage } from './block-kit.js';
import { formatAge, formatPct, formatScore, formatTime, plural, SEVERITY_ICON } from './text-format.js';

function callLine(c: CallSummary, arrow: string): string {
  const errWas = c.baselineErrorRate !== null && Math.abs(c.baselineErrorRate - c.errorRate) >= 0.01 ? ` (was ${formatPct(c.baselineErrorRate)})` : '';
  const latWas = c.baselineMeanLatencyMs !== null && Math.abs(c.baselineMeanLatencyMs - c.meanLatencyMs) >= Math.max(5, 0.2 * c.baselineMeanLatencyMs) ? ` (was ${c.baselineMeanLatencyMs} ms)` : '';
  const warn = c.errorRate >= 0.05 ? ':warning: ' : '';
  return `${warn}${arrow} \`${escapeMrkdwn(c.service)}\` — ${c.callsPerMin}/min, ${formatPct(c.errorRate)} errors${errWas}, ${c.meanLatencyMs} ms avg${latWas}, p95 ≤ ${c.p95LatencyMs} ms`;
}

export function renderServiceOverview(o: ServiceOverview, now: number): SlackMessage {
  const blocks: Block[] = [header(`Service ${o.service}`)];
  blocks.push(context([`${plural(o.openAlertsTotal, 'open alert')} · ${plural(o.callersTotal, 'caller')} · ${plural(o.calleesTotal, 'callee')} · traffic over the last 5 min, compared with the 30 min before`]));

  const alerts = o.openAlerts.map((a) => `${SEVERITY_ICON[a.severity]} *${escapeMrkdwn(a.name)}* since ${formatTime(a.startsAt, now)} (${formatAge(now - a.startsAt)})${a.summary ? ` — ${escapeMrkdwn(a.summary)}` : ''}`);
  if (o.openAlertsTotal > o.openAlerts.length) alerts.push(`…and ${o.openAlertsTotal - o.openAlerts.length} more`);
  blocks.push(section(`*Open alerts*\n${alerts.length > 0 ? fitLines(alerts) : '_none_'}`));

  const callers = o.callers.map((c) => callLine(c, '←'));
  if (o.callersTotal > o.callers.length) callers.push(`…and ${o.callersTotal - o.callers.length} more callers`);
  blocks.push(section(`*Callers* (calls into ${escapeMrkdwn(o.service)})\n${callers.length > 0 ? fitLines(callers) : '_none seen in traces_'}`));

  const callees = o.callees.map((c) => callLine(c, '→'));
  if (o.calleesTotal > o.callees.length) callees.push(`…and ${o.calleesTotal - o.callees.length} more callees`);
  blocks.push(section(`*Callees* (what ${escapeMrkdwn(o.service)} calls)\n${callees.length > 0 ? fitLines(callees) : '_none seen in traces_'}`));

  const deploys = o.recentDeploys.map((d) => `• \`${escapeMrkdwn(d.version)}\`${d.previousVersion ? ` (from ${escapeMrkdwn(d.previousVersion)})` : ''} at ${formatTime(d.at, now)}, ${formatAge(now - d.at)} ago${d.author ? ` by ${escapeMrkdwn(d.author)}` : ''}${d.failed ? ' — *rollout failed*' : ''}`);
  blocks.push(section(`*Recent deploys*\n${deploys.length > 0 ? fitLines(deploys) : '_none in the last 6 h_'}`));

  const incidents = o.incidents.map(
    (i) => `• \`${escapeMrkdwn(i.id)}\` ${escapeMrkdwn(i.title)} (${i.status})${i.suspectRank !== null ? ` — suspect #${i.suspectRank}, score ${formatScore(i.score ?? 0)}` : ''}`,
  );
  blocks.push(section(`*Incidents involving it*\n${incidents.length > 0 ? fitLines(incidents) : '_none_'}`));
  return message(`Service ${o.service}: ${plural(o.openAlertsTotal, 'open alert')}, ${plural(o.incidents.length, 'incident')}`, blocks);
}
