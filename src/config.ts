// Server configuration: the only reader of process.env; validates every variable once at start.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DEFAULT_SERVICE_LABELS } from './ingest/source.js';

/** A bad configuration value; the message names the variable, e.g. "PORT: expected an integer 0–65535, got 'abc'". */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly variables: string[],
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Variables that may also be given as NAME_FILE (Docker/Kubernetes secrets mounted as files). */
export const SECRET_VARIABLES = [
  'INGEST_TOKEN',
  'SLACK_BOT_TOKEN',
  'SLACK_SIGNING_SECRET',
  'SLACK_APP_TOKEN',
  'PAGERDUTY_WEBHOOK_SECRETS',
  'GITHUB_WEBHOOK_SECRET',
] as const;

const DEFAULT_BODY_LIMIT_BYTES = 5 * 1024 * 1024;

export interface AppConfig {
  port: number;
  host: string;
  redisUrl: string;
  /** Key prefix of every Redis key and BullMQ queue; separate prefixes = separate environments. */
  redisPrefix: string;
  /** Bearer token required on ingest and /api endpoints; undefined = no auth. */
  ingestToken: string | undefined;
  slack: {
    botToken: string | undefined;
    signingSecret: string | undefined;
    appToken: string | undefined;
    apiUrl: string | undefined;
    incidentChannel: string | undefined;
  };
  runbooksDir: string;
  /** Whether this replica consumes the traces queue (span pairing needs one consumer: see decision 003). */
  tracesWorker: boolean;
  /** A service catalog (Backstage entities or a plain list) whose `dependsOn` complements the traced graph. */
  serviceCatalogFile: string | undefined;
  /** Slack user ids who may pause and resume automated remediation (`/rca automation`). */
  automationAdmins: string[];
  /** Secrets runbooks reference as `${secret:NAME}`, from RUNBOOK_SECRET_NAME (or RUNBOOK_SECRET_NAME_FILE). */
  runbookSecrets: Record<string, string>;
  kubeconfig: string | undefined;
  /** PagerDuty V3 signing secrets; several during a rotation. Empty = signatures not checked. */
  pagerdutyWebhookSecrets: string[];
  githubWebhookSecret: string | undefined;
  bodyLimitBytes: number;
  serviceLabels: string[];
  logLevel: LogLevel;
  tracing: {
    /** True when an OTLP endpoint is configured; the exporter itself reads the OTEL_* variables. */
    enabled: boolean;
    serviceName: string;
  };
}

// Empty strings count as unset: `FOO=` in a compose file means "not configured".
const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));

function integerIn(min: number, max: number, fallback: number) {
  return optionalText.pipe(
    z
      .string()
      .optional()
      .refine((v) => v === undefined || (/^\d+$/.test(v.trim()) && +v >= min && +v <= max), {
        message: `expected an integer ${min}–${max}`,
      })
      .transform((v) => (v === undefined ? fallback : Number(v.trim()))),
  );
}

function urlWith(protocols: string[]) {
  return z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { message: `expected a URL (${protocols.map((p) => p + '//').join(' or ')})` },
  );
}

function commaList(v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

const envSchema = z.object({
  PORT: integerIn(0, 65535, 3000), // 0: any free port (tests)
  HOST: optionalText.transform((v) => v ?? '0.0.0.0'),
  REDIS_URL: optionalText.pipe(urlWith(['redis:', 'rediss:']).optional()).transform((v) => v ?? 'redis://127.0.0.1:6379'),
  REDIS_PREFIX: optionalText.transform((v) => v ?? 'rcabot:'),
  INGEST_TOKEN: optionalText,
  SLACK_BOT_TOKEN: optionalText,
  SLACK_SIGNING_SECRET: optionalText,
  SLACK_APP_TOKEN: optionalText,
  SLACK_API_URL: optionalText.pipe(urlWith(['http:', 'https:']).optional()),
  SLACK_INCIDENT_CHANNEL: optionalText,
  SLACK_ADMIN_USERS: optionalText.transform((v) => commaList(v) ?? []),
  RUNBOOKS_DIR: optionalText.transform((v) => v ?? './runbooks'),
  SERVICE_CATALOG_FILE: optionalText,
  TRACES_WORKER: optionalText.pipe(z.enum(['true', 'false'], { error: 'expected true or false' }).optional()).transform((v) => v !== 'false'),
  KUBECONFIG: optionalText,
  PAGERDUTY_WEBHOOK_SECRETS: optionalText.transform((v) => commaList(v) ?? []),
  GITHUB_WEBHOOK_SECRET: optionalText,
  BODY_LIMIT_BYTES: integerIn(1024, 1024 * 1024 * 1024, DEFAULT_BODY_LIMIT_BYTES),
  SERVICE_LABELS: optionalText.pipe(
    z
      .string()
      .optional()
      .transform((v) => commaList(v) ?? [...DEFAULT_SERVICE_LABELS])
      .refine((l) => l.length > 0, { message: 'expected a comma-separated list of label names' }),
  ),
  LOG_LEVEL: optionalText.pipe(
    z
      .string()
      .optional()
      .refine((v) => v === undefined || (LOG_LEVELS as readonly string[]).includes(v.toLowerCase()), {
        message: `expected one of ${LOG_LEVELS.join(', ')}`,
      })
      .transform((v) => (v?.toLowerCase() ?? 'info') as LogLevel),
  ),
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalText,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalText,
  OTEL_SDK_DISABLED: optionalText,
  OTEL_SERVICE_NAME: optionalText.transform((v) => v ?? 'rcabot'),
});

type Env = Record<string, string | undefined>;

/** Replaces NAME_FILE by the file's content under NAME (trailing newline trimmed). Both set is an error. */
function resolveSecretFiles(env: Env): { env: Env; errors: Array<{ variable: string; message: string }> } {
  const out: Env = { ...env };
  const errors: Array<{ variable: string; message: string }> = [];
  for (const name of SECRET_VARIABLES) {
    const fileVar = `${name}_FILE`;
    const path = env[fileVar];
    if (path === undefined || path.trim() === '') continue;
    if (env[name] !== undefined && env[name] !== '') {
      errors.push({ variable: name, message: `${name}: both ${name} and ${fileVar} are set; set only one` });
      continue;
    }
    try {
      const value = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
      if (value.trim() === '') {
        errors.push({ variable: fileVar, message: `${fileVar}: file '${path}' is empty` });
        continue;
      }
      out[name] = value;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? String(e);
      errors.push({ variable: fileVar, message: `${fileVar}: cannot read '${path}' (${code})` });
    }
  }
  return { env: out, errors };
}

const RUNBOOK_SECRET = /^RUNBOOK_SECRET_([A-Z][A-Z0-9_]*?)(_FILE)?$/;

/** Secrets for runbook HTTP actions: RUNBOOK_SECRET_<NAME>, or RUNBOOK_SECRET_<NAME>_FILE holding it. */
function runbookSecretsFrom(env: Env): { values: Record<string, string>; errors: Array<{ variable: string; message: string }> } {
  const values: Record<string, string> = {};
  const errors: Array<{ variable: string; message: string }> = [];
  for (const [variable, raw] of Object.entries(env)) {
    const m = RUNBOOK_SECRET.exec(variable);
    if (!m || raw === undefined || raw === '') continue;
    const name = m[1]!;
    if (!m[2]) {
      if (env[`${variable}_FILE`]) errors.push({ variable, message: `${variable}: both ${variable} and ${variable}_FILE are set; set only one` });
      else values[name] = raw;
      continue;
    }
    try {
      values[name] = readFileSync(raw, 'utf8').replace(/\r?\n$/, '');
    } catch (e) {
      errors.push({ variable, message: `${variable}: cannot read '${raw}' (${(e as NodeJS.ErrnoException).code ?? String(e)})` });
    }
  }
  return { values, errors };
}

/** Reads and validates the configuration; throws ConfigError naming every bad variable. */
export function loadConfig(env: Env = process.env): AppConfig {
  const resolved = resolveSecretFiles(env);
  const parsed = envSchema.safeParse(resolved.env);
  const secrets = runbookSecretsFrom(env);
  const errors = [...resolved.errors, ...secrets.errors];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const variable = String(issue.path[0] ?? '(env)');
      // Secrets are never echoed back, only named.
      const isSecret = (SECRET_VARIABLES as readonly string[]).includes(variable);
      const raw = resolved.env[variable];
      const got = isSecret || raw === undefined ? '' : `, got '${raw}'`;
      errors.push({ variable, message: `${variable}: ${issue.message}${got}` });
    }
  }
  if (errors.length > 0 || !parsed.success) {
    throw new ConfigError(errors.map((e) => e.message).join('\n'), errors.map((e) => e.variable));
  }
  const e = parsed.data;
  const otelDisabled = e.OTEL_SDK_DISABLED?.toLowerCase() === 'true';
  return {
    port: e.PORT,
    host: e.HOST,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX,
    ingestToken: e.INGEST_TOKEN,
    slack: {
      botToken: e.SLACK_BOT_TOKEN,
      signingSecret: e.SLACK_SIGNING_SECRET,
      appToken: e.SLACK_APP_TOKEN,
      apiUrl: e.SLACK_API_URL,
      incidentChannel: e.SLACK_INCIDENT_CHANNEL,
    },
    runbooksDir: e.RUNBOOKS_DIR,
    serviceCatalogFile: e.SERVICE_CATALOG_FILE,
    tracesWorker: e.TRACES_WORKER,
    automationAdmins: e.SLACK_ADMIN_USERS,
    runbookSecrets: secrets.values,
    kubeconfig: e.KUBECONFIG,
    pagerdutyWebhookSecrets: e.PAGERDUTY_WEBHOOK_SECRETS,
    githubWebhookSecret: e.GITHUB_WEBHOOK_SECRET,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    serviceLabels: e.SERVICE_LABELS,
    logLevel: e.LOG_LEVEL,
    tracing: {
      enabled: !otelDisabled && (e.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined || e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== undefined),
      serviceName: e.OTEL_SERVICE_NAME,
    },
  };
}
