// A canary that breaks what it calls, replayed end to end from a generated stream (decision 031): the new version's
// calls into its dependency fail while the old version's calls in the same minutes succeed. No deploy hook reported it,
// and the sampled traces leave the caller's own spans too few to split by version.
import { describe, it, expect } from 'vitest';
import { replayLines } from '../../../src/replay/replay.js';
import { generateScenario } from '../../../bench/scenarios/scenario-generator.js';
import { loadRunbooks } from '../../../src/runbooks/runbook-loader.js';

const scenario = generateScenario('canary-release', 40, {});
const truth = scenario.truth.incidents[0]!;

/** The stream with every span's service.version taken out: what the traces say without versions. */
function withoutVersions(lines: readonly string[]): string[] {
  return lines.map((line) => {
    const event = JSON.parse(line) as { type: string; payload: { resourceSpans?: Array<{ resource: { attributes: Array<{ key: string }> } }> } };
    if (event.type !== 'otlp') return line;
    for (const rs of event.payload.resourceSpans ?? []) rs.resource.attributes = rs.resource.attributes.filter((a) => a.key !== 'service.version');
    return JSON.stringify(event);
  });
}

async function incidentOf(lines: readonly string[]) {
  const { incidents } = await replayLines(lines, { runbooks: loadRunbooks('runbooks') });
  return incidents.find((i) => truth.alerts.every((a) => i.alerts.includes(a)))!;
}

describe("a dependency failing only on the calls of a canary's new version (decision 031)", () => {
  it('is the scenario it claims to be: the canary reported by no deploy hook, its dependency alerting', () => {
    expect(truth.rootCause).toBe('ads-bookings-service');
    expect(scenario.events.some((l) => /"type":"(deploy|github\.deployment_status|argocd)"/.test(l) && l.includes('"ads-bookings-service"'))).toBe(false);
  });

  it("ranks the canary's service first, says which calls of which version fail, and offers to roll it back", async () => {
    const incident = await incidentOf(scenario.events);
    const ranked = incident.rootCauses;
    expect(ranked.map((c) => c.service).slice(0, 2)).toEqual(['ads-bookings-service', 'loyalty-risk-gateway']);
    expect(ranked[0]!.evidence.find((e) => e.kind === 'version')?.detail).toMatch(
      /^loyalty-risk-gateway fails 100% of \d+ calls from ads-bookings-service v\S+ \(calling since \d\d:\d\d\) and 0% of \d+ calls from v\S+ in the same minutes: it fails on what the new version sends it$/,
    );
    // The new version is a change the traces saw, though no deploy was reported: rolling it back is offered.
    expect(incident.remediations[0]).toMatchObject({ runbook: 'rollback-deployment', target: expect.stringMatching(/\/ads-bookings-service$/) });
  }, 30_000);

  it('ranks the dependency first from the same spans without their versions', async () => {
    const ranked = (await incidentOf(withoutVersions(scenario.events))).rootCauses;
    expect(ranked[0]!.service).toBe('loyalty-risk-gateway');
    expect(ranked[0]!.evidence.some((e) => e.kind === 'version')).toBe(false);
  }, 30_000);
});
