// Replays a recorded event stream through the same ingest → graph → correlate → rank code the server runs.
import type { HistoricalIncident } from '../model/history.js';
import type { IncidentReport } from '../model/incident.js';
import { ingestSources } from '../ingest/registry.js';
import { DEFAULT_SERVICE_LABELS } from '../ingest/source.js';
import { SpanPairer } from '../traces/span-pairer.js';
import { Engine, type EngineOptions } from '../engine/engine.js';
import { parseEventLine } from './event-line.js';
import type { Runbook } from '../runbooks/runbook-schema.js';
import { suggestRemediations } from '../runbooks/runbook-matcher.js';

export interface ReplayOptions {
  history?: readonly HistoricalIncident[];
  /** Analyse as of this time (epoch ms); later events are not applied. Default: the last event's receivedAt. */
  at?: number;
  serviceLabels?: readonly string[];
  /** Runbooks whose matches become the incidents' suggested remediations. */
  runbooks?: readonly Runbook[];
  engine?: Partial<EngineOptions>;
  /**
   * Also analyse every this many milliseconds of stream time while replaying, as the server does while events arrive
   * (incidents open once settled and keep their alerts; the final analysis then adds to them). Default: only the final
   * analysis, which sees the whole stream at once.
   */
  analyzeEveryMs?: number;
  /** Called for every skipped line or item, with the line number. */
  onWarning?: (message: string) => void;
}

export interface ReplayResult {
  incidents: IncidentReport[];
  warnings: string[];
  /** Lines read, events applied. */
  lines: number;
  applied: number;
  /** The analysis time used (epoch ms), null when the stream held no event. */
  at: number | null;
  /** Analyses run: the final one, plus those made while replaying (analyzeEveryMs). */
  analyses: number;
  /** The engine after the replay, for views that need more than the reports (the Slack preview). */
  engine: Engine;
}

/** How often (in stream time) pending spans are settled into aggregates during a replay. */
const PAIRING_FLUSH_MS = 5_000;

export async function replayLines(lines: Iterable<string> | AsyncIterable<string>, options: ReplayOptions = {}): Promise<ReplayResult> {
  const runbooks = options.runbooks;
  const engine = new Engine({
    ...options.engine,
    ...(runbooks && runbooks.length > 0 ? { suggestRemediations: (incident) => suggestRemediations(incident, runbooks) } : {}),
  });
  if (options.history) engine.setHistory(options.history);
  const pairer = new SpanPairer();
  const serviceLabels = options.serviceLabels ?? DEFAULT_SERVICE_LABELS;
  const warnings: string[] = [];
  const warn = (message: string): void => {
    warnings.push(message);
    options.onWarning?.(message);
  };

  let lineNo = 0;
  let applied = 0;
  let clock: number | null = null;
  let lastFlush = Number.NEGATIVE_INFINITY;
  let nextAnalysis = Number.NEGATIVE_INFINITY;
  let analyses = 0;
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    const event = parseEventLine(line);
    if (!event.ok) {
      warn(`line ${lineNo}: ${event.reason}, skipped`);
      continue;
    }
    if (options.at !== undefined && event.receivedAt > options.at) break;
    clock = clock === null ? event.receivedAt : Math.max(clock, event.receivedAt);
    const result = ingestSources[event.type].parse(event.payload, { serviceLabels, receivedAt: event.receivedAt });
    if (!result.ok) {
      const first = result.issues[0];
      warn(`line ${lineNo}: invalid ${event.type} payload: ${first ? `${first.path}: ${first.message}` : 'rejected'}, skipped`);
      continue;
    }
    for (const issue of result.rejected) warn(`line ${lineNo}: ${event.type} item ${issue.path}: ${issue.message}, skipped`);
    const e = result.event;
    if (e.kind === 'alerts') engine.applyAlerts(e.alerts, event.receivedAt);
    else if (e.kind === 'changes') engine.applyChanges(e.changes);
    else pairer.add(e.spans, event.receivedAt);
    applied++;
    if (clock - lastFlush >= PAIRING_FLUSH_MS) {
      engine.applyTraceDelta(pairer.flush(clock));
      lastFlush = clock;
    }
    if (options.analyzeEveryMs !== undefined && clock >= nextAnalysis) {
      if (nextAnalysis !== Number.NEGATIVE_INFINITY) {
        engine.prune(clock);
        engine.analyze(clock);
        analyses++;
      }
      nextAnalysis = clock + options.analyzeEveryMs;
    }
  }
  const at = options.at ?? clock;
  if (at === null) return { incidents: [], warnings, lines: lineNo, applied, at: null, analyses, engine };
  // Settle every span still waiting for its pair: the stream is over.
  engine.applyTraceDelta(pairer.flush(Number.MAX_SAFE_INTEGER));
  engine.prune(at);
  return { incidents: engine.analyze(at, { final: true }), warnings, lines: lineNo, applied, at, analyses: analyses + 1, engine };
}
