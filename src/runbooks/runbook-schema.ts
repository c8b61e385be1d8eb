// The runbook file format (runbooks/*.yaml) as a zod schema: the schema is the type, parsed once at load.
import { z } from 'zod';
import type { AlertSignal } from '../model/alert-signal.js';

/** "90s", "10m", "1h", "1d" → milliseconds. */
export function parseDuration(text: string): number | null {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) return null;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === null || ms <= 0) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration like 90s, 10m, 1h, 1d` });
    return z.NEVER;
  }
  return ms;
});

/** Incident fields a parameter may be taken from; nothing else from the incident reaches an action. */
export const INCIDENT_FIELDS = [
  'rootCause.service',
  'incident.id',
  'deploy.service',
  'deploy.version',
  'deploy.previousVersion',
  'deploy.environment',
] as const;
export type IncidentField = (typeof INCIDENT_FIELDS)[number];

// A value from the incident is checked against `pattern` (default: a DNS-1123 label, which also keeps it
// safe inside a URL path), so a hostile alert label can never smuggle "../" or a query into a request.
export const DEFAULT_PARAM_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';

// One object with exactly one of `value`/`from` (rather than a union) so that a mistake is reported on the
// field that is wrong, e.g. "action.params.deployment.from: Invalid option: expected one of …".
const paramSource = z
  .strictObject({
    value: z.union([z.string(), z.number()]).optional(),
    from: z.enum(INCIDENT_FIELDS).optional(),
    pattern: z
      .string()
      .refine((p) => {
        try {
          new RegExp(p);
          return true;
        } catch {
          return false;
        }
      }, 'not a valid regular expression')
      .optional(),
  })
  .superRefine((src, ctx) => {
    if ((src.value === undefined) === (src.from === undefined))
      ctx.addIssue({ code: 'custom', message: 'give exactly one of "value" (a fixed value) or "from" (an incident field)' });
    if (src.pattern !== undefined && src.from === undefined)
      ctx.addIssue({ code: 'custom', path: ['pattern'], message: '"pattern" applies only to "from"' });
  })
  .transform((src): { value: string | number } | { from: IncidentField; pattern?: string } =>
    src.from !== undefined ? { from: src.from, ...(src.pattern !== undefined ? { pattern: src.pattern } : {}) } : { value: src.value! },
  );
export type ParamSource = z.infer<typeof paramSource>;

const params = z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'parameter names are letters, digits, _'), paramSource);

const kubernetesParams = params.superRefine((p, ctx) => {
  for (const name of ['namespace', 'deployment'])
    if (!(name in p)) ctx.addIssue({ code: 'custom', path: [name], message: `required parameter "${name}" is missing` });
});

const restartAction = z.strictObject({ type: z.literal('kubernetes.restart'), params: kubernetesParams });
const rollbackAction = z.strictObject({ type: z.literal('kubernetes.rollback'), params: kubernetesParams });
const scaleAction = z.strictObject({
  type: z.literal('kubernetes.scale'),
  params: kubernetesParams.superRefine((p, ctx) => {
    const r = p.replicas;
    if (!r || !('value' in r) || typeof r.value !== 'number' || !Number.isInteger(r.value) || r.value < 0 || r.value > 1000)
      ctx.addIssue({ code: 'custom', path: ['replicas'], message: 'replicas must be a fixed integer value between 0 and 1000' });
  }),
});

const headerValue = z.union([
  z.strictObject({ value: z.string() }),
  // A secret is named here and resolved by the server at execution time; plans show it redacted.
  z.strictObject({ secret: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'secret names are UPPER_SNAKE_CASE'), prefix: z.string().optional() }),
]);
export type HeaderValue = z.infer<typeof headerValue>;

const httpAction = z.strictObject({
  type: z.literal('http'),
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
  url: z.string().regex(/^https?:\/\/[^\s]+$/, 'must be an absolute http(s) URL'),
  headers: z.record(z.string(), headerValue).default({}),
  body: z.json().optional(),
  timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  idempotent: z.boolean().default(false),
  params: params.default({}),
});

export const actionSchema = z.discriminatedUnion('type', [restartAction, rollbackAction, scaleAction, httpAction]);
export type RunbookAction = z.infer<typeof actionSchema>;
export type ActionType = RunbookAction['type'];

const slackUserId = z.string().regex(/^[UW][A-Z0-9]+$/, 'a Slack user id like U012ABCDEF');
const slackGroupId = z.string().regex(/^S[A-Z0-9]+$/, 'a Slack user-group id like S012ABCDEF');

const approvalSchema = z
  .strictObject({
    users: z.array(slackUserId).default([]),
    groups: z.array(slackGroupId).default([]),
    required: z.number().int().min(1).max(10).default(1),
    allowProposer: z.boolean().default(false),
    expiresAfter: duration.default(30 * 60_000),
  })
  .refine((a) => a.users.length + a.groups.length > 0, { message: 'name at least one approver user or group', path: ['users'] });

const guardrailsSchema = z.strictObject({
  environments: z.array(z.string().min(1)).optional(),
  namespaces: z.array(z.string().min(1)).optional(),
  maxRunsPerTargetPerHour: z.number().int().min(1).max(100).default(3),
  requireDryRun: z.boolean().default(false),
});

const verifySchema = z.strictObject({
  after: duration.default(5 * 60_000),
  fixedWhen: z.enum(['alerts-resolved']).default('alerts-resolved'),
});

export const CATEGORIES = ['recent-deploy', 'error-origin', 'no-recent-deploy'] as const;
export type Category = (typeof CATEGORIES)[number];

export const ROOT_CAUSE_KINDS = ['service', 'database', 'cache', 'queue', 'external'] as const;
export type RootCauseKind = (typeof ROOT_CAUSE_KINDS)[number];

/** What an incident's alerts say (model/alert-signal.ts): something fails now, traffic shifted, or a future problem. */
export const ALERT_SIGNALS = ['failure', 'traffic', 'local'] as const satisfies readonly AlertSignal[];

const matchSchema = z.strictObject({
  services: z.array(z.string().min(1)).default(['*']),
  alertNames: z.array(z.string().min(1)).default([]),
  categories: z.array(z.enum(CATEGORIES)).default([]),
  /**
   * What the root cause must be: an instrumented service (the default — a Deployment to restart, say), or a
   * dependency seen only as a trace peer (database, cache, queue, external API), which such runbooks must not touch.
   */
  kinds: z.array(z.enum(ROOT_CAUSE_KINDS)).min(1).default(['service']),
  /**
   * What the incident's alerts must say, any of: `failure` (errors, latency, saturation, a process down), `traffic`
   * (request rates shifted), `local` (a future problem: a certificate expiring in days, a disk predicted to fill).
   * Default: any. A restart or a rollback mends something failing now, not a certificate about to expire.
   */
  signals: z.array(z.enum(ALERT_SIGNALS)).min(1).default([...ALERT_SIGNALS]),
  /** false: never suggested on its own (an undo runbook, for example), only proposed by name. */
  suggest: z.boolean().default(true),
});

const placeholder = /\{([A-Za-z][A-Za-z0-9_]*)\}/g;

/** Every `{name}` placeholder in a string or JSON value. */
export function placeholdersIn(value: unknown): string[] {
  if (typeof value === 'string') return [...value.matchAll(placeholder)].map((m) => m[1]!);
  if (Array.isArray(value)) return value.flatMap(placeholdersIn);
  if (value && typeof value === 'object') return Object.values(value).flatMap(placeholdersIn);
  return [];
}

export const runbookSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and -'),
    title: z.string().min(1),
    description: z.string().min(1),
    match: matchSchema.default({ services: ['*'], alertNames: [], categories: [], kinds: ['service'], signals: [...ALERT_SIGNALS], suggest: true }),
    action: actionSchema,
    approval: approvalSchema,
    guardrails: guardrailsSchema.default({ maxRunsPerTargetPerHour: 3, requireDryRun: false }),
    verify: verifySchema.default({ after: 5 * 60_000, fixedWhen: 'alerts-resolved' }),
    undo: z.string().regex(/^[a-z0-9][a-z0-9-]*$/).optional(),
  })
  .superRefine((rb, ctx) => {
    const p = rb.action.params;
    if (rb.action.type === 'http')
      for (const name of placeholdersIn([rb.action.url, rb.action.body ?? null]))
        if (!(name in p)) ctx.addIssue({ code: 'custom', path: ['action', 'params', name], message: `placeholder {${name}} has no parameter` });
    if (rb.guardrails.environments && !('environment' in p))
      ctx.addIssue({ code: 'custom', path: ['action', 'params', 'environment'], message: 'guardrails.environments needs an "environment" parameter' });
    const fixedCheck = (param: string, allowed: string[] | undefined, guard: string): void => {
      const src = p[param];
      if (allowed && src && 'value' in src && !allowed.includes(String(src.value)))
        ctx.addIssue({ code: 'custom', path: ['action', 'params', param], message: `"${src.value}" is not in guardrails.${guard}` });
    };
    fixedCheck('namespace', rb.guardrails.namespaces, 'namespaces');
    fixedCheck('environment', rb.guardrails.environments, 'environments');
  });

export type Runbook = z.infer<typeof runbookSchema>;
