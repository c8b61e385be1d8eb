// The `rcabot` command: `replay` (offline analysis, CONTRACT §2), `serve` (the server, §4), `history import` (§3).
import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command, InvalidArgumentError } from 'commander';
import { replayLines } from './replay/replay.js';
import { renderIncidentsText } from './report/text-report.js';
import { parseHistory, HistoryFileError } from './history/history-file.js';
import type { HistoricalIncident } from './model/history.js';
import { loadRunbooks, RunbookLoadError } from './runbooks/runbook-loader.js';
import type { Runbook } from './runbooks/runbook-schema.js';
import { CatalogLoadError, loadServiceCatalog } from './catalog/catalog-file.js';
import type { DeclaredDependency } from './topology/dependency-graph.js';

/** Errors the user can act on: printed as one line, exit code 1 (or 2 for usage). */
class CliError extends Error {}

function parseIsoTime(value: string): number {
  const t = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(t)) throw new InvalidArgumentError(`expected an ISO time such as 2026-10-14T09:05:00Z, got "${value}"`);
  return t;
}

function readHistoryFile(path: string): HistoricalIncident[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read history file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    const { incidents, issues } = parseHistory(text);
    for (const issue of issues) process.stderr.write(`rcabot: ${path}: ${issue.path}: ${issue.message}, skipped\n`);
    return incidents;
  } catch (err) {
    if (err instanceof HistoryFileError) throw new CliError(`${path}: ${err.message}`);
    throw err;
  }
}

function readRunbooks(dir: string): Runbook[] {
  try {
    return loadRunbooks(dir);
  } catch (err) {
    if (err instanceof RunbookLoadError) {
      const first = err.issues[0];
      throw new CliError(first ? `runbooks: ${[first.file, first.path, first.message].filter(Boolean).join(': ')}` : `runbooks: ${err.message}`);
    }
    throw new CliError(`cannot read runbooks from ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function readCatalog(file: string): DeclaredDependency[] {
  try {
    return loadServiceCatalog(file);
  } catch (err) {
    if (err instanceof CatalogLoadError) throw new CliError(err.message);
    throw err;
  }
}

async function openLines(path: string): Promise<AsyncIterable<string>> {
  const stream = createReadStream(path, { encoding: 'utf8' });
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (err: NodeJS.ErrnoException) => reject(new CliError(`cannot read ${path}: ${err.code ?? err.message}`)));
  });
  stream.on('error', (err) => {
    throw new CliError(`error reading ${path}: ${err.message}`);
  });
  return createInterface({ input: stream, crlfDelay: Infinity });
}

async function configOrExit() {
  const { loadConfig, ConfigError } = await import('./config.js');
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(`configuration: ${err.message}`);
    throw err;
  }
}

/** Runs `work` with a Redis client from the configuration; a Redis failure is one line, exit 1. */
async function withRedis(work: (redis: import('ioredis').Redis, prefix: string) => Promise<void>): Promise<void> {
  const config = await configOrExit();
  const { Redis } = await import('ioredis');
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 3000 });
  redis.on('error', () => {});
  try {
    await work(redis, config.redisPrefix);
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`Redis at ${config.redisUrl}: ${(err as Error).message}`);
  } finally {
    redis.disconnect();
  }
}

export function buildCli(): Command {
  const program = new Command('rcabot')
    .description('ChatOps incident response and root-cause analysis')
    .showHelpAfterError()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command('replay')
    .description('replay a recorded event stream and print the open incidents with ranked root causes')
    .argument('<events>', 'events.ndjson (CONTRACT §1)')
    .option('--history <file>', 'historical incidents (history.json, CONTRACT §3)')
    .option('--runbooks <dir>', 'runbook directory for suggested remediations')
    .option('--at <time>', 'analyse as of this ISO time instead of the end of the stream', parseIsoTime)
    .option('--json', 'print exactly one JSON document on stdout')
    .option('--slack', 'also print each incident as its Slack message would show it')
    .option('--catalog <file>', "service catalog (Backstage entities or a plain list) whose dependsOn complements the traced graph")
    .action(async (events: string, opts: { history?: string; runbooks?: string; at?: number; json?: boolean; slack?: boolean; catalog?: string }) => {
      const history = opts.history ? readHistoryFile(opts.history) : undefined;
      const runbooks = opts.runbooks ? readRunbooks(opts.runbooks) : undefined;
      const declaredTopology = opts.catalog ? readCatalog(opts.catalog) : undefined;
      const lines = await openLines(events);
      const result = await replayLines(lines, {
        history,
        runbooks,
        ...(declaredTopology ? { engine: { declaredTopology } } : {}),
        at: opts.at,
        onWarning: (m) => process.stderr.write(`rcabot: ${m}\n`),
      });
      if (opts.json) process.stdout.write(JSON.stringify({ incidents: result.incidents }, null, 2) + '\n');
      else process.stdout.write(renderIncidentsText(result.incidents, result.at));
      if (opts.slack && !opts.json && result.at !== null) {
        const { renderSlackPreview } = await import('./report/slack-preview.js');
        process.stdout.write(`\nWhat the incident channel would show:\n\n${renderSlackPreview(result.incidents, result.engine, result.at)}`);
      }
    });

  program
    .command('serve')
    .description('start the HTTP server, queue workers and Slack app (configured by environment variables)')
    .action(async () => {
      const { startServer } = await import('./main.js');
      const { RunbookConfigError } = await import('./runbooks/server-runbooks.js');
      try {
        await startServer(await configOrExit());
      } catch (err) {
        if (err instanceof RunbookConfigError || err instanceof CatalogLoadError) throw new CliError(err.message);
        throw err;
      }
    });

  const history = program.command('history').description('historical incidents');
  history
    .command('import')
    .description('import a history.json file into the server state (Redis)')
    .argument('<file>', 'history.json (CONTRACT §3)')
    .action(async (file: string) => {
      const incidents = readHistoryFile(file);
      const { HistoryStore } = await import('./store/history-store.js');
      await withRedis(async (redis, prefix) => {
        const n = await new HistoryStore(redis, prefix).import(incidents);
        process.stdout.write(`imported ${n} historical incident${n === 1 ? '' : 's'}\n`);
      });
    });

  const audit = program.command('audit').description('the remediation audit log (hash-chained, append-only)');
  audit
    .command('export')
    .description('print audit entries as JSON lines')
    .option('--since <time>', 'only entries at or after this ISO time', parseIsoTime)
    .action(async (opts: { since?: number }) => {
      const { exportAudit } = await import('./remediation/audit-log.js');
      await withRedis(async (redis, prefix) => {
        for await (const line of exportAudit(redis, prefix, opts.since)) process.stdout.write(`${line}\n`);
      });
    });
  audit
    .command('verify')
    .description('check the hash chain of the audit log; exit 1 if any entry was changed or removed')
    .action(async () => {
      const { verifyAudit } = await import('./remediation/audit-log.js');
      await withRedis(async (redis, prefix) => {
        const result = await verifyAudit(redis, prefix);
        if (!result.ok) throw new CliError(`audit log tampered: entry ${result.badId ?? '?'}: ${result.reason ?? 'hash mismatch'} (${result.entries} entries checked)`);
        process.stdout.write(`audit log intact: ${result.entries} entries\n`);
      });
    });

  return program;
}

export async function runCli(argv: readonly string[]): Promise<void> {
  try {
    await buildCli().parseAsync([...argv]);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`rcabot: ${message}\n`);
    process.exitCode = err instanceof CliError ? 1 : 2;
  }
}

await runCli(process.argv);
