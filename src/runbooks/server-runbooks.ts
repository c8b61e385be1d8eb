// Runbooks for the server: a missing directory means "no runbooks" (said in the log); a bad file stops the start.
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import { loadRunbooks, RunbookLoadError } from './runbook-loader.js';
import type { Runbook } from './runbook-schema.js';

export class RunbookConfigError extends Error {}

export function loadServerRunbooks(dir: string, logger: Logger): Runbook[] {
  if (!existsSync(dir)) {
    logger.warn({ runbooksDir: dir }, 'RUNBOOKS_DIR does not exist: no runbooks, no suggested remediations');
    return [];
  }
  try {
    const runbooks = loadRunbooks(dir);
    logger.info({ runbooksDir: dir, runbooks: runbooks.map((r) => r.id) }, 'runbooks loaded');
    return runbooks;
  } catch (err) {
    if (err instanceof RunbookLoadError) {
      const lines = err.issues.map((i) => [i.file, i.path, i.message].filter(Boolean).join(': '));
      throw new RunbookConfigError(`RUNBOOKS_DIR: invalid runbook: ${lines.join('; ')}`);
    }
    throw err;
  }
}
