// Root-cause feedback from the incident message: "Confirm root cause" on a suspect, "Not it" (then pick or type
// the real cause in a modal), and the runbook "Propose" hook. A resolved, confirmed incident joins the history.
import type { App, BlockButtonAction, ViewSubmitAction } from '@slack/bolt';
import type { HistoricalIncident, IncidentFix } from '../model/history.js';
import { HistoricalIncidentSchema } from '../model/history.js';
import type { IncidentReport } from '../model/incident.js';
import type { FeedbackStore, RootCauseConfirmation } from '../store/feedback-store.js';
import type { Logger } from '../telemetry/logger.js';
import { ACTION_IDS, ActionRefs, REAL_CAUSE_INPUTS, VIEW_IDS, type ActionRefStore } from './action-refs.js';
import type { RcaQueries } from './rca-queries.js';
import { renderRealCauseModal } from './render/real-cause-modal.js';

/** Where a "Propose" button was clicked: the channel, and the thread when the clicked message is in one. */
export interface ProposePlace {
  channelId?: string;
  threadTs?: string;
}

/** What the remediation layer does with a "Propose" click; returns a line to show the clicker. */
export type ProposeRemediation = (incidentId: string, runbookId: string, userId: string, place?: ProposePlace) => Promise<string | void> | string | void;

export interface FeedbackDeps {
  queries: RcaQueries;
  refs: ActionRefStore;
  feedback: FeedbackStore;
  logger: Logger;
  now: () => number;
  /** Called after feedback was recorded, e.g. to re-render the incident message (IncidentNotifier.refresh). */
  onFeedback?: (incidentId: string) => Promise<void> | void;
  proposeRemediation?: ProposeRemediation;
}

/** A typed service name: what a service label can hold, nothing that could be markup. */
const SERVICE_NAME = /^[\w.:\-/@]{1,200}$/u;

const ACTION_ID_PATTERN = new RegExp(`^(?!(${Object.values(ACTION_IDS).join('|')})$)`);

export function registerFeedbackActions(app: App, deps: FeedbackDeps): void {
  const say = async (respond: (m: { response_type: 'ephemeral'; replace_original: false; text: string }) => Promise<unknown>, text: string) => {
    try {
      await respond({ response_type: 'ephemeral', replace_original: false, text });
    } catch (err) {
      deps.logger.warn({ err }, 'could not answer a Slack action');
    }
  };
  const recorded = async (incidentId: string) => {
    try {
      await deps.onFeedback?.(incidentId);
    } catch (err) {
      deps.logger.error({ err, incidentId }, 'feedback follow-up failed');
    }
  };
  const expired = 'This button is no longer valid (the incident may have been pruned). Type `/rca` for the current incidents.';

  app.action<BlockButtonAction>(ACTION_IDS.confirmRootCause, async ({ ack, action, body, respond }) => {
    await ack();
    const ref = await deps.refs.resolve(action.value);
    if (!ref || ref.kind !== 'suspect') return say(respond, expired);
    const userId = body.user.id;
    await deps.feedback.confirm(ref.incidentId, { service: ref.service, userId, at: deps.now(), via: 'confirm' });
    deps.logger.info({ incidentId: ref.incidentId, service: ref.service, user: userId }, 'root cause confirmed in Slack');
    await recorded(ref.incidentId);
    await say(respond, `Thanks — recorded \`${ref.service}\` as the root cause of \`${ref.incidentId}\`.`);
  });

  app.action<BlockButtonAction>(ACTION_IDS.notIt, async ({ ack, action, body, respond, client }) => {
    await ack();
    const ref = await deps.refs.resolve(action.value);
    if (!ref || ref.kind === 'runbook') return say(respond, expired);
    const report = await deps.queries.getIncident(ref.incidentId);
    if (!report) return say(respond, expired);
    const confirmed = await deps.queries.confirmedRootCause(report.id);
    // "Not it" on the incident means the suspect it currently names: the confirmed one, else the top one.
    const rejected = ref.kind === 'suspect' ? ref.service : (confirmed?.service ?? report.rootCauses[0]?.service ?? null);
    if (rejected) {
      await deps.feedback.reject(report.id, { service: rejected, userId: body.user.id, at: deps.now() });
      deps.logger.info({ incidentId: report.id, service: rejected, user: body.user.id }, 'suspect rejected in Slack');
    }
    const refs = new ActionRefs();
    const metadata = refs.add({ kind: 'incident', incidentId: report.id });
    const view = renderRealCauseModal(report, rejected, refs, metadata);
    await deps.refs.save(refs);
    try {
      await client.views.open({ trigger_id: body.trigger_id, view });
    } catch (err) {
      deps.logger.warn({ err, incidentId: report.id }, 'could not open the real-cause modal');
      await say(respond, 'Noted. I could not open the form; type `/rca ' + report.id + '` to see the suspects.');
    }
    await recorded(report.id);
  });

  app.view<ViewSubmitAction>(VIEW_IDS.realCause, async ({ ack, body, view }) => {
    const ref = await deps.refs.resolve(view.private_metadata);
    if (!ref) {
      await ack({ response_action: 'errors', errors: { [REAL_CAUSE_INPUTS.typedBlock]: 'This form has expired; open it again from the incident message.' } });
      return;
    }
    const values = view.state.values;
    const selectedRef = values[REAL_CAUSE_INPUTS.selectBlock]?.[REAL_CAUSE_INPUTS.selectAction]?.selected_option?.value;
    const typed = values[REAL_CAUSE_INPUTS.typedBlock]?.[REAL_CAUSE_INPUTS.typedAction]?.value?.trim();
    let choice: Pick<RootCauseConfirmation, 'service' | 'via'> | null = null;
    if (typed) {
      if (!SERVICE_NAME.test(typed)) {
        await ack({ response_action: 'errors', errors: { [REAL_CAUSE_INPUTS.typedBlock]: 'A service name has no spaces (letters, digits, . _ - : / @).' } });
        return;
      }
      choice = { service: typed, via: 'typed' };
    } else if (selectedRef) {
      const selected = await deps.refs.resolve(selectedRef);
      if (selected?.kind === 'suspect' && selected.incidentId === ref.incidentId) choice = { service: selected.service, via: 'select' };
    }
    if (!choice) {
      await ack({ response_action: 'errors', errors: { [REAL_CAUSE_INPUTS.typedBlock]: 'Choose a service from the list or type one.' } });
      return;
    }
    await ack();
    await deps.feedback.confirm(ref.incidentId, { ...choice, userId: body.user.id, at: deps.now() });
    deps.logger.info({ incidentId: ref.incidentId, service: choice.service, via: choice.via, user: body.user.id }, 'real root cause recorded in Slack');
    await recorded(ref.incidentId);
  });

  app.action<BlockButtonAction>(ACTION_IDS.proposeRunbook, async ({ ack, action, body, respond }) => {
    await ack();
    const ref = await deps.refs.resolve(action.value);
    if (!ref || ref.kind !== 'runbook') return say(respond, expired);
    if (!deps.proposeRemediation) return say(respond, 'Remediation is not enabled on this rcabot, so runbooks cannot be proposed from Slack.');
    try {
      const threadTs = typeof body.message?.thread_ts === 'string' ? body.message.thread_ts : undefined;
      const place: ProposePlace = { ...(body.channel?.id ? { channelId: body.channel.id } : {}), ...(threadTs ? { threadTs } : {}) };
      const answer = await deps.proposeRemediation(ref.incidentId, ref.runbook, body.user.id, place);
      await say(respond, answer || `Proposed runbook \`${ref.runbook}\` for \`${ref.incidentId}\`.`);
    } catch (err) {
      deps.logger.error({ err, incidentId: ref.incidentId, runbook: ref.runbook }, 'proposing a runbook failed');
      await say(respond, `Could not propose \`${ref.runbook}\`: ${(err as Error).message}`);
    }
  });

  // Anything else (a URL button, an old message's button): acknowledge calmly so Slack shows no error.
  app.action(ACTION_ID_PATTERN, async ({ ack, body }) => {
    await ack();
    const actionId = body.type === 'block_actions' ? body.actions[0]?.action_id : undefined;
    deps.logger.debug({ actionId, type: body.type }, 'Slack action without a handler acknowledged');
  });
}

/** Category from the evidence behind the confirmed service; `other` when the evidence does not say. */
function categoryOf(report: IncidentReport, service: string): HistoricalIncident['rootCause']['category'] {
  const rc = report.rootCauses.find((r) => r.service === service);
  if (rc?.evidence.some((e) => e.kind === 'deploy')) return 'deploy';
  if (!report.services.includes(service)) return 'dependency';
  return 'other';
}

/**
 * A resolved incident with a confirmed root cause, as history (CONTRACT §3), with the remediation that fixed it, if
 * one did (RemediationService.fixOf; not what was merely suggested: a suggestion nobody ran fixed nothing). Pure.
 */
export function toHistoricalIncident(
  report: IncidentReport,
  confirmation: RootCauseConfirmation,
  resolvedAt: number,
  alerts: ReadonlyArray<{ service: string; alertname: string }> = report.services.map((service) => ({ service, alertname: '' })),
  remediation: IncidentFix | null = null,
): HistoricalIncident {
  return HistoricalIncidentSchema.parse({
    id: report.id,
    title: report.title,
    openedAt: report.openedAt,
    resolvedAt: new Date(resolvedAt).toISOString(),
    rootCause: { service: confirmation.service, category: categoryOf(report, confirmation.service) },
    alerts: [...new Map(alerts.map((a) => [`${a.service}\u0000${a.alertname}`, { service: a.service, alertname: a.alertname }])).values()],
    ...(remediation ? { remediation: { runbook: remediation.runbook, target: remediation.target } } : {}),
  });
}

export interface HistorizeDeps {
  feedback: FeedbackStore;
  /** Persists the entry (HistoryStore.add). */
  saveHistory: (incident: HistoricalIncident) => Promise<void>;
  /** Adds it to the live ranking (Analyzer.addHistory). */
  addToIndex: (incident: HistoricalIncident) => void;
  /** The incident's alerts as history records them (from the engine). */
  alertsOf: (report: IncidentReport) => Array<{ service: string; alertname: string }>;
  /** What fixed the incident, which resolved at the given time (RemediationService.fixOf); absent without remediation. */
  fixOf?: (incidentId: string, resolvedAt: number) => Promise<IncidentFix | null>;
  resolvedAtOf: (report: IncidentReport) => number | null;
  logger: Logger;
}

/** For each resolved report with a confirmed cause not yet in history: add it, exactly once. */
export async function historizeConfirmedIncidents(reports: readonly IncidentReport[], deps: HistorizeDeps, now: number): Promise<HistoricalIncident[]> {
  const added: HistoricalIncident[] = [];
  for (const report of reports) {
    if (report.status !== 'resolved') continue;
    const confirmation = await deps.feedback.confirmedRootCause(report.id);
    if (!confirmation) continue;
    if (!(await deps.feedback.claimHistoryEntry(report.id, now))) continue;
    const resolvedAt = deps.resolvedAtOf(report) ?? now;
    const fix = deps.fixOf ? await deps.fixOf(report.id, resolvedAt) : null;
    const entry = toHistoricalIncident(report, confirmation, resolvedAt, deps.alertsOf(report), fix);
    await deps.saveHistory(entry);
    deps.addToIndex(entry);
    deps.logger.info({ incidentId: report.id, rootCause: confirmation.service }, 'confirmed incident added to history');
    added.push(entry);
  }
  return added;
}
