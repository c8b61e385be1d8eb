// The Bolt app: HTTP mode through our fastify listener (FastifyReceiver) or Socket Mode when SLACK_APP_TOKEN is
// set; chosen by configuration. Wires `/rca` and the feedback actions; Web API base URL from SLACK_API_URL.
import { App, LogLevel, type Logger as BoltLogger, webApi } from '@slack/bolt';
import type { AppConfig } from '../config.js';
import type { Logger } from '../telemetry/logger.js';
import type { FeedbackStore } from '../store/feedback-store.js';
import type { ActionRefStore } from './action-refs.js';
import { FastifyReceiver } from './fastify-receiver.js';
import { registerFeedbackActions, type ProposeRemediation } from './feedback.js';
import { registerRcaCommand, type AutomationCommand } from './rca-handlers.js';
import type { RcaQueries } from './rca-queries.js';

export type SlackConfig = AppConfig['slack'];
export type SlackMode = 'http' | 'socket';

/**
 * Web API retries: a couple of quick ones for network blips only. The default policy retries for ~30 minutes,
 * far past any useful answer to a click; the notifier's queue does the long-haul retrying itself.
 */
export const SLACK_RETRY_CONFIG = { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 1000, randomize: false } as const;
const SLACK_TIMEOUT_MS = 5000;

export function slackMode(config: SlackConfig): SlackMode | null {
  if (!config.botToken) return null;
  if (config.appToken) return 'socket';
  return config.signingSecret ? 'http' : null;
}

/** SLACK_API_URL with the trailing slash the WebClient expects (it appends the method name). */
export function slackApiUrl(config: SlackConfig): string | undefined {
  if (!config.apiUrl) return undefined;
  return config.apiUrl.endsWith('/') ? config.apiUrl : `${config.apiUrl}/`;
}

/** A Web API client for the notifier: 429s are rejected (with retryAfter) so its queue can honour them. */
export function createSlackWebClient(config: SlackConfig, logger: Logger, options: { rejectRateLimitedCalls?: boolean } = {}): webApi.WebClient {
  const url = slackApiUrl(config);
  return new webApi.WebClient(config.botToken, {
    ...(url ? { slackApiUrl: url } : {}),
    retryConfig: SLACK_RETRY_CONFIG,
    timeout: SLACK_TIMEOUT_MS,
    rejectRateLimitedCalls: options.rejectRateLimitedCalls ?? true,
    logger: boltLogger(logger.child({ component: 'slack-web-api' })),
  });
}

/** Bolt's logger interface over pino; Bolt's own chatter is debug-level. */
export function boltLogger(log: Logger): BoltLogger {
  let level = LogLevel.INFO;
  let name = 'bolt';
  return {
    debug: (...msg: unknown[]) => log.debug({ bolt: name }, msg.map(String).join(' ')),
    info: (...msg: unknown[]) => log.debug({ bolt: name }, msg.map(String).join(' ')),
    warn: (...msg: unknown[]) => log.warn({ bolt: name }, msg.map(String).join(' ')),
    error: (...msg: unknown[]) => log.error({ bolt: name }, msg.map(String).join(' ')),
    setLevel: (l: LogLevel) => void (level = l),
    getLevel: () => level,
    setName: (n: string) => void (name = n),
  };
}

export interface SlackAppOptions {
  config: SlackConfig;
  logger: Logger;
  queries: RcaQueries;
  refs: ActionRefStore;
  feedback: FeedbackStore;
  now?: () => number;
  /** Called after feedback was recorded (re-render the incident message: IncidentNotifier.refresh). */
  onFeedback?: (incidentId: string) => Promise<void> | void;
  /** The remediation layer's handler of "Propose" buttons on suggested runbooks. */
  proposeRemediation?: ProposeRemediation;
  /** The remediation layer's `/rca automation pause|resume|status` (kill switch). */
  automationCommand?: AutomationCommand;
}

export interface SlackApp {
  mode: SlackMode;
  app: App;
  /** HTTP mode only: register `slackRoutes` with it on the HTTP server. */
  receiver?: FastifyReceiver;
  /** Verifies the token (auth.test) and, in Socket Mode, connects. Call before the listener takes traffic. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** The Slack app, or null when Slack is off (no SLACK_BOT_TOKEN, or neither signing secret nor app token). */
export function createSlackApp(o: SlackAppOptions): SlackApp | null {
  const mode = slackMode(o.config);
  if (mode === null) return null;
  const logger = o.logger.child({ component: 'slack', slackMode: mode });
  const url = slackApiUrl(o.config);
  const clientOptions = { ...(url ? { slackApiUrl: url } : {}), retryConfig: SLACK_RETRY_CONFIG, timeout: SLACK_TIMEOUT_MS };
  const common = {
    token: o.config.botToken!,
    logger: boltLogger(logger),
    clientOptions,
    // init() runs auth.test once in start(), where a bad token is reported; never in a constructor.
    deferInitialization: true,
    tokenVerificationEnabled: true,
  };
  let app: App;
  let receiver: FastifyReceiver | undefined;
  if (mode === 'socket') {
    app = new App({ ...common, appToken: o.config.appToken!, socketMode: true });
  } else {
    receiver = new FastifyReceiver({ signingSecret: o.config.signingSecret!, logger });
    app = new App({ ...common, receiver });
  }
  app.error(async (err) => {
    logger.error({ err }, 'Slack listener error');
  });
  const now = o.now ?? Date.now;
  registerRcaCommand(app, { queries: o.queries, refs: o.refs, logger, now, ...(o.automationCommand ? { automationCommand: o.automationCommand } : {}) });
  registerFeedbackActions(app, {
    queries: o.queries,
    refs: o.refs,
    feedback: o.feedback,
    logger,
    now,
    ...(o.onFeedback ? { onFeedback: o.onFeedback } : {}),
    ...(o.proposeRemediation ? { proposeRemediation: o.proposeRemediation } : {}),
  });

  return {
    mode,
    app,
    ...(receiver ? { receiver } : {}),
    async start() {
      await app.init();
      if (mode === 'socket') await app.start();
      logger.info('Slack app ready');
    },
    async stop() {
      if (mode === 'socket') await app.stop();
    },
  };
}
