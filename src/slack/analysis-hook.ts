// What the Slack layer does after each analysis: store service overviews and incident contexts for /rca, hand the
// reports to the notifier, and add resolved incidents with a confirmed root cause to the history. Runs one at
// a time; analyses that finish meanwhile are coalesced into the next run (only the latest reports matter).
import type { Alert } from '../model/alert.js';
import type { IncidentReport } from '../model/incident.js';
import type { HistoricalIncident, IncidentFix } from '../model/history.js';
import type { Engine } from '../engine/engine.js';
import type { FeedbackStore } from '../store/feedback-store.js';
import type { Logger } from '../telemetry/logger.js';
import { historizeConfirmedIncidents } from './feedback.js';
import type { IncidentNotifier } from './notifier.js';
import type { ServiceOverviewStore } from './service-overview-store.js';

export interface SlackAnalysisHookDeps {
  /** The analyzer's engine (Analyzer.state); read synchronously right after the analysis. */
  engine: () => Engine;
  now: () => number;
  overviews: ServiceOverviewStore;
  /** Absent when no incident channel is configured. */
  notifier?: IncidentNotifier;
  feedback: FeedbackStore;
  /** HistoryStore.add */
  saveHistory: (incident: HistoricalIncident) => Promise<void>;
  /** Analyzer.addHistory */
  addToIndex: (incident: HistoricalIncident) => void;
  /** RemediationService.fixOf: what fixed an incident that resolved at the given time, for its history entry. */
  fixOf?: (incidentId: string, resolvedAt: number) => Promise<IncidentFix | null>;
  logger: Logger;
  /** Service overviews are refreshed at most this often (default 10 s); incident contexts every analysis. */
  overviewIntervalMs?: number;
}

export interface SlackAnalysisHook {
  (reports: IncidentReport[]): void;
  /** Resolves once every run started so far has finished (tests, shutdown). */
  idle(): Promise<void>;
}

export function createSlackAnalysisHook(deps: SlackAnalysisHookDeps): SlackAnalysisHook {
  let running: Promise<void> | null = null;
  let pending: IncidentReport[] | null = null;
  let lastOverviews = -Infinity;
  const log = deps.logger.child({ component: 'slack-analysis-hook' });

  const runOnce = async (reports: IncidentReport[]): Promise<void> => {
    const engine = deps.engine();
    const now = deps.now();
    // Everything read from the engine is read here, synchronously, before the first await.
    const services = now - lastOverviews >= (deps.overviewIntervalMs ?? 10_000);
    if (services) lastOverviews = now;
    const snapshot = deps.overviews.record(engine, reports, now, { services });
    const alertsByReport = new Map(reports.map((r) => [r.id, alertsOf(engine, r)]));
    const resolvedAt = new Map(reports.map((r) => [r.id, engine.tracker.incidents.get(r.id)?.resolvedAt ?? null]));
    const { contexts } = await snapshot;
    if (deps.notifier) await deps.notifier.notify(reports, contexts);
    await historizeConfirmedIncidents(
      reports,
      {
        feedback: deps.feedback,
        saveHistory: deps.saveHistory,
        addToIndex: deps.addToIndex,
        alertsOf: (r) => alertsByReport.get(r.id) ?? [],
        ...(deps.fixOf ? { fixOf: deps.fixOf } : {}),
        resolvedAtOf: (r) => resolvedAt.get(r.id) ?? null,
        logger: log,
      },
      now,
    );
  };

  const drain = async (): Promise<void> => {
    while (pending) {
      const reports = pending;
      pending = null;
      try {
        await runOnce(reports);
      } catch (err) {
        log.error({ err }, 'Slack post-analysis work failed');
      }
    }
    running = null;
  };

  const hook = ((reports: IncidentReport[]) => {
    pending = reports;
    running ??= drain();
  }) as SlackAnalysisHook;
  hook.idle = async () => {
    while (running) await running;
  };
  return hook;
}

function alertsOf(engine: Engine, report: IncidentReport): Array<{ service: string; alertname: string }> {
  return report.alerts
    .map((fp) => engine.alerts.get(fp))
    .filter((a): a is Alert => a !== undefined)
    .map((a) => ({ service: a.service, alertname: a.name }));
}
