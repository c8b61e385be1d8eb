import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentReport } from '../../../src/model/incident.js';
import { ActionRefs, REAL_CAUSE_INPUTS, VIEW_IDS } from '../../../src/slack/action-refs.js';
import { renderIncidentDetail } from '../../../src/slack/render/incident-detail.js';
import { renderChannelMessage } from '../../../src/slack/render/channel-message.js';
import { createSlackAnalysisHook } from '../../../src/slack/analysis-hook.js';
import { toHistoricalIncident } from '../../../src/slack/feedback.js';
import { HistoryStore } from '../../../src/store/history-store.js';
import type { HistoricalIncident } from '../../../src/model/history.js';
import { blockActionsBody, viewSubmissionBody } from '../../support/signed-slack-request.js';
import { buildScenarioEngine, NOW } from './slack-scenario.js';
import { startSlackHarness, type SlackHarness } from './slack-harness.js';
import { MIN } from '../../support/alerts.js';

let h: SlackHarness;
let report: IncidentReport;
const refreshed: string[] = [];
const proposals: Array<[string, string, string]> = [];
let n = 0;

beforeAll(async () => {
  h = await startSlackHarness('slack-feedback', {
    now: () => NOW,
    onFeedback: (id) => void refreshed.push(id),
    proposeRemediation: async (incidentId, runbookId, userId) => {
      proposals.push([incidentId, runbookId, userId]);
      return `Proposed ${runbookId}; waiting for an approver.`;
    },
  });
  const engine = buildScenarioEngine();
  report = { ...engine.analyze(NOW)[0]!, remediations: [{ runbook: 'rollback-deploy', action: 'rollback', target: 'payments' }] };
  await h.store(engine, [report], NOW);
});
afterAll(async () => h?.close());

/** Renders the channel message like the notifier does, storing its refs; returns the ref behind a button. */
async function buttonRef(pick: (refs: Array<[string, unknown]>) => string): Promise<string> {
  const refs = new ActionRefs();
  renderChannelMessage({ report, context: null, confirmation: null, rejected: [], now: NOW, refs });
  renderIncidentDetail(report, null, NOW, refs);
  await h.refs.save(refs);
  return pick(refs.entries());
}
const refFor = (match: object) => (entries: Array<[string, unknown]>) => entries.find(([, r]) => JSON.stringify(r) === JSON.stringify(match))![0];

async function click(actionId: string, value: string, userId = 'U0BOB'): Promise<Record<string, unknown>> {
  const id = `click-${++n}`;
  const res = await h.post(blockActionsBody({ actionId, value, userId, responseUrl: h.fake.responseUrl(id) }));
  expect(res.status).toBe(200);
  await h.fake.waitFor((c) => c.some((x) => x.path === `/response/${id}`));
  return h.fake.calls.find((x) => x.path === `/response/${id}`)!.params;
}

describe('feedback buttons', () => {
  it('"Confirm root cause" records who and when, answers the clicker, and asks for a re-render', async () => {
    const ref = await buttonRef(refFor({ kind: 'suspect', incidentId: report.id, service: 'payments-db' }));
    const answer = await click('rca_confirm_root_cause', ref);
    expect(answer.text).toBe(`Thanks — recorded \`payments-db\` as the root cause of \`${report.id}\`.`);
    expect(answer.response_type).toBe('ephemeral');
    expect(await h.feedback.confirmedRootCause(report.id)).toEqual({ service: 'payments-db', userId: 'U0BOB', at: NOW, via: 'confirm' });
    expect(refreshed).toContain(report.id);
  });

  it('"Not it" rejects the named suspect and opens a modal to choose the real cause', async () => {
    const ref = await buttonRef(refFor({ kind: 'incident', incidentId: report.id }));
    const res = await h.post(blockActionsBody({ actionId: 'rca_not_it', value: ref, userId: 'U0CAROL', triggerId: 'trig-1', responseUrl: h.fake.responseUrl('notit') }));
    expect(res.status).toBe(200);
    await h.fake.waitFor((c) => c.some((x) => x.method === 'views.open'));
    const open = h.fake.callsTo('views.open')[0]!.params as { trigger_id: string; view: { callback_id: string; private_metadata: string; blocks: Array<Record<string, any>> } }; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(open.trigger_id).toBe('trig-1');
    expect(open.view.callback_id).toBe(VIEW_IDS.realCause);
    // The confirmed suspect (payments-db) was the one "Not it" referred to: withdrawn and recorded as rejected.
    expect(await h.feedback.confirmedRootCause(report.id)).toBeNull();
    expect(await h.feedback.rejectedServices(report.id)).toEqual(['payments-db']);
    const records = await h.feedback.records(report.id);
    expect(records.at(-1)).toEqual({ kind: 'rejected', incidentId: report.id, service: 'payments-db', userId: 'U0CAROL', at: NOW, via: 'not-it' });
    const select = open.view.blocks.find((b) => b.block_id === REAL_CAUSE_INPUTS.selectBlock)!;
    const options = select.element.options as Array<{ text: { text: string }; value: string }>;
    expect(options.map((o) => o.text.text)).toEqual(['payments', 'checkout', 'web', 'inventory']);
    expect(options.every((o) => /^r[0-9a-f]{16}$/.test(o.value))).toBe(true);

    // Choosing "payments" from the menu records it as the confirmed cause.
    const submit = viewSubmissionBody({
      callbackId: VIEW_IDS.realCause,
      privateMetadata: open.view.private_metadata,
      userId: 'U0CAROL',
      values: { [REAL_CAUSE_INPUTS.selectBlock]: { [REAL_CAUSE_INPUTS.selectAction]: { type: 'static_select', selected_option: options[0] } }, [REAL_CAUSE_INPUTS.typedBlock]: { [REAL_CAUSE_INPUTS.typedAction]: { type: 'plain_text_input', value: null } } },
    });
    const done = await h.post(submit);
    expect(done.status).toBe(200);
    expect(await done.text()).toBe('');
    expect(await h.feedback.confirmedRootCause(report.id)).toEqual({ service: 'payments', userId: 'U0CAROL', at: NOW, via: 'select' });
  });

  it('a typed service is recorded; a bad or empty answer keeps the modal open with an error', async () => {
    const metadata = await buttonRef(refFor({ kind: 'incident', incidentId: report.id }));
    const values = (typed: string | null) => ({ [REAL_CAUSE_INPUTS.typedBlock]: { [REAL_CAUSE_INPUTS.typedAction]: { type: 'plain_text_input', value: typed } } });
    const bad = await h.post(viewSubmissionBody({ callbackId: VIEW_IDS.realCause, privateMetadata: metadata, values: values('orders db; drop') }));
    expect(await bad.json()).toEqual({ response_action: 'errors', errors: { [REAL_CAUSE_INPUTS.typedBlock]: 'A service name has no spaces (letters, digits, . _ - : / @).' } });
    const empty = await h.post(viewSubmissionBody({ callbackId: VIEW_IDS.realCause, privateMetadata: metadata, values: values(null) }));
    expect(((await empty.json()) as { response_action: string }).response_action).toBe('errors');
    const forged = await h.post(viewSubmissionBody({ callbackId: VIEW_IDS.realCause, privateMetadata: 'r0000000000000000', values: values('orders-db') }));
    expect(((await forged.json()) as { errors: Record<string, string> }).errors[REAL_CAUSE_INPUTS.typedBlock]).toContain('expired');
    expect((await h.feedback.confirmedRootCause(report.id))?.service).toBe('payments');

    const ok = await h.post(viewSubmissionBody({ callbackId: VIEW_IDS.realCause, privateMetadata: metadata, userId: 'U0DAVE', values: values('  orders-db ') }));
    expect(ok.status).toBe(200);
    expect(await h.feedback.confirmedRootCause(report.id)).toEqual({ service: 'orders-db', userId: 'U0DAVE', at: NOW, via: 'typed' });
  });

  it('"Propose" on a suggested runbook calls the remediation hook with incident, runbook and user', async () => {
    const ref = await buttonRef(refFor({ kind: 'runbook', incidentId: report.id, runbook: 'rollback-deploy', target: 'payments' }));
    const answer = await click('rca_propose_runbook', ref, 'U0ERIN');
    expect(proposals).toEqual([[report.id, 'rollback-deploy', 'U0ERIN']]);
    expect(answer.text).toBe('Proposed rollback-deploy; waiting for an approver.');
  });
});

describe('history from confirmed incidents', () => {
  it('toHistoricalIncident keeps the contract shape, the category from the evidence and the remediation verified to fix it', () => {
    const h1 = toHistoricalIncident(
      report,
      { service: 'payments', userId: 'U', at: NOW, via: 'confirm' },
      NOW + 20 * MIN,
      [
        { service: 'checkout', alertname: 'HighErrorRate' },
        { service: 'checkout', alertname: 'HighErrorRate' },
        { service: 'web', alertname: 'HighLatency' },
      ],
      { runbook: 'rollback-deploy', target: 'deployment/production/payments' },
    );
    expect(h1).toEqual({
      id: report.id,
      title: report.title,
      openedAt: report.openedAt,
      resolvedAt: new Date(NOW + 20 * MIN).toISOString(),
      rootCause: { service: 'payments', category: 'deploy' },
      alerts: [
        { service: 'checkout', alertname: 'HighErrorRate' },
        { service: 'web', alertname: 'HighLatency' },
      ],
      remediation: { runbook: 'rollback-deploy', target: 'deployment/production/payments' },
    });
    // A suggested runbook (the report suggests rollback-deploy on payments) is not a fix: nobody ran it.
    const h2 = toHistoricalIncident(report, { service: 'payments', userId: 'U', at: NOW, via: 'confirm' }, NOW);
    expect(h2.remediation).toBeUndefined();
    const h3 = toHistoricalIncident(report, { service: 'payments-db', userId: 'U', at: NOW, via: 'confirm' }, NOW);
    expect(h3.rootCause).toEqual({ service: 'payments-db', category: 'dependency' });
    expect(h3.remediation).toBeUndefined();
  });

  it('the analysis hook stores overviews and adds a resolved, confirmed incident to history exactly once', async () => {
    const engine = buildScenarioEngine();
    const later = NOW + 10 * MIN;
    for (const a of [...engine.alerts.values()]) engine.applyAlerts([{ ...a, status: 'resolved', endsAt: NOW + 5 * MIN }]);
    const reports = engine.analyze(later);
    const resolved = reports[0]!;
    expect(resolved.status).toBe('resolved');
    await h.feedback.confirm(resolved.id, { service: 'payments-db', userId: 'U0ALICE', at: later, via: 'confirm' });
    const history = new HistoryStore(h.redis, h.prefix);
    const indexed: HistoricalIncident[] = [];
    const hook = createSlackAnalysisHook({
      engine: () => engine,
      now: () => later,
      overviews: h.overviews,
      feedback: h.feedback,
      saveHistory: (i) => history.add(i),
      addToIndex: (i) => void indexed.push(i),
      // Asked with the time the incident resolved: a remediation that finished later did not fix it.
      fixOf: async (id, resolvedAt) =>
        id === resolved.id && resolvedAt === NOW + 5 * MIN ? { runbook: 'failover-database', target: 'https://dbops.example.com/api/v1/databases/payments-db/failover' } : null,
      logger: h.app.log as never,
    });
    hook(reports);
    hook(reports); // a second analysis with the same reports must not add it twice
    await hook.idle();
    hook(reports);
    await hook.idle();
    expect(indexed).toHaveLength(1);
    expect(indexed[0]).toMatchObject({
      id: resolved.id,
      resolvedAt: new Date(NOW + 5 * MIN).toISOString(),
      rootCause: { service: 'payments-db', category: 'dependency' },
      remediation: { runbook: 'failover-database', target: 'https://dbops.example.com/api/v1/databases/payments-db/failover' },
    });
    expect(indexed[0]!.alerts).toEqual([
      { service: 'checkout', alertname: 'HighErrorRate' },
      { service: 'payments', alertname: 'HighErrorRate' },
      { service: 'web', alertname: 'HighLatency' },
    ]);
    expect(await history.all()).toEqual(indexed);
    expect((await h.overviews.context(resolved.id))?.resolvedAt).toBe(NOW + 5 * MIN);
    expect(await h.overviews.services()).toEqual(['checkout', 'inventory', 'payments', 'payments-db', 'web']);
  });
});
