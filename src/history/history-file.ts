// Reads a history.json (CONTRACT §3): keeps every valid incident, reports each invalid one by its path and skips it.
import { HistoricalIncidentSchema, type HistoricalIncident } from '../model/history.js';
import { toInputIssues, type InputIssue } from '../ingest/source.js';

/** The file as a whole is unusable (not JSON, not an array): nothing can be imported from it. */
export class HistoryFileError extends Error {
  override readonly name = 'HistoryFileError';
}

export interface ParsedHistory {
  /** Valid incidents, one per id (a later entry replaces an earlier one with the same id, at the later place). */
  incidents: HistoricalIncident[];
  /** One issue per problem, path prefixed by the entry's index ("12.rootCause.category"). */
  issues: InputIssue[];
}

export function parseHistory(text: string): ParsedHistory {
  let data: unknown;
  try {
    data = JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text);
  } catch (err) {
    throw new HistoryFileError(`history file is not valid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(data)) {
    const got = data === null ? 'null' : typeof data === 'object' ? 'an object' : typeof data;
    throw new HistoryFileError(`history file must be a JSON array of incidents (CONTRACT §3), got ${got}`);
  }

  const byId = new Map<string, { incident: HistoricalIncident; index: number }>();
  const issues: InputIssue[] = [];
  data.forEach((item: unknown, index) => {
    const parsed = HistoricalIncidentSchema.safeParse(item);
    if (!parsed.success) {
      issues.push(...toInputIssues(parsed.error.issues, [index]));
      return;
    }
    const earlier = byId.get(parsed.data.id);
    if (earlier) {
      issues.push({
        path: `${index}.id`,
        message: `duplicate id "${parsed.data.id}" (also at ${earlier.index}): this later entry replaces it`,
      });
      byId.delete(parsed.data.id); // re-inserted below so the winner keeps its own place in the file order
    }
    byId.set(parsed.data.id, { incident: parsed.data, index });
  });
  return { incidents: [...byId.values()].map((e) => e.incident), issues };
}
