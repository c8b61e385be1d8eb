// Loads and validates every runbook in a directory; a bad file stops the start with file, field and reason.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { runbookSchema, type Runbook } from './runbook-schema.js';

export interface RunbookIssue {
  file: string;
  /** Dotted field path inside the file, '' for the whole file. */
  path: string;
  message: string;
}

export class RunbookLoadError extends Error {
  constructor(readonly issues: RunbookIssue[]) {
    super(
      `invalid runbooks:\n` + issues.map((i) => `  ${i.file}: ${i.path === '' ? '' : `${i.path}: `}${i.message}`).join('\n'),
    );
    this.name = 'RunbookLoadError';
  }
}

/** Validates one parsed document; `file` only labels the issues. */
export function parseRunbook(file: string, document: unknown): { runbook: Runbook } | { issues: RunbookIssue[] } {
  const parsed = runbookSchema.safeParse(document);
  if (parsed.success) return { runbook: parsed.data };
  return {
    issues: parsed.error.issues.map((i) => ({ file, path: i.path.map(String).join('.'), message: i.message })),
  };
}

/** Cross-file checks: ids unique, `undo` names a loaded runbook. */
export function checkRunbookSet(entries: readonly { file: string; runbook: Runbook }[]): RunbookIssue[] {
  const issues: RunbookIssue[] = [];
  const byId = new Map<string, string>();
  for (const { file, runbook } of entries) {
    const other = byId.get(runbook.id);
    if (other) issues.push({ file, path: 'id', message: `duplicate id "${runbook.id}" (also in ${other})` });
    else byId.set(runbook.id, file);
  }
  for (const { file, runbook } of entries)
    if (runbook.undo && !byId.has(runbook.undo)) issues.push({ file, path: 'undo', message: `no runbook with id "${runbook.undo}"` });
  return issues;
}

/** Reads `*.yaml`/`*.yml` in `dir` (not recursive), sorted by file name. Throws RunbookLoadError listing every issue. */
export function loadRunbooks(dir: string): Runbook[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /\.ya?ml$/.test(n)).sort();
  } catch (err) {
    throw new RunbookLoadError([{ file: dir, path: '', message: `cannot read directory: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }]);
  }
  const issues: RunbookIssue[] = [];
  const loaded: { file: string; runbook: Runbook }[] = [];
  for (const name of names) {
    const file = join(dir, name);
    let document: unknown;
    try {
      document = parseYaml(readFileSync(file, 'utf8'));
    } catch (err) {
      const where = err instanceof YAMLParseError && err.linePos ? ` (line ${err.linePos[0].line})` : '';
      issues.push({ file, path: '', message: `not valid YAML${where}: ${(err as Error).message.split('\n')[0]}` });
      continue;
    }
    const result = parseRunbook(file, document);
    if ('issues' in result) issues.push(...result.issues);
    else loaded.push({ file, runbook: result.runbook });
  }
  issues.push(...checkRunbookSet(loaded));
  if (issues.length > 0) throw new RunbookLoadError(issues);
  return loaded.map((e) => e.runbook);
}
