// The structured logger (pino): one factory, level from config, secrets redacted by configuration, stderr only.
import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';
import type { AppConfig } from '../config.js';

export type Logger = PinoLogger;

/**
 * Paths pino blanks out wherever they appear in a log record. Request headers carry bearer tokens and
 * webhook signatures; config objects carry tokens and secrets. Listed here so nobody has to remember.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-hub-signature-256"]',
  'req.headers["x-hub-signature"]',
  'req.headers["x-pagerduty-signature"]',
  'req.headers["x-slack-signature"]',
  'headers.authorization',
  'headers.cookie',
  'headers["x-hub-signature-256"]',
  'headers["x-pagerduty-signature"]',
  'headers["x-slack-signature"]',
  'authorization',
  'token',
  'secret',
  'password',
  '*.token',
  '*.secret',
  '*.secrets',
  '*.password',
  '*.authorization',
  '*.ingestToken',
  '*.botToken',
  '*.appToken',
  '*.signingSecret',
  '*.githubWebhookSecret',
  '*.pagerdutyWebhookSecrets',
  'config.slack.botToken',
  'config.slack.appToken',
  'config.slack.signingSecret',
];

/**
 * Creates the logger. Logs go to stderr (fd 2) because stdout is reserved for the CLI's JSON output;
 * tests pass their own destination to read what was logged.
 */
export function createLogger(config: Pick<AppConfig, 'logLevel'>, destination?: DestinationStream): Logger {
  return pino(
    {
      name: 'rcabot',
      level: config.logLevel,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    destination ?? pino.destination({ dest: 2, sync: true }),
  );
}
