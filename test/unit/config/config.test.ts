import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, ConfigError } from '../../../src/config.js';
import { DEFAULT_SERVICE_LABELS } from '../../../src/ingest/source.js';

function errorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected loadConfig to throw');
}

describe('loadConfig', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rcabot-config-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('applies the documented defaults to an empty environment', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.host).toBe('0.0.0.0');
    expect(c.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(c.redisPrefix).toBe('rcabot:');
    expect(c.runbooksDir).toBe('./runbooks');
    expect(c.bodyLimitBytes).toBe(5 * 1024 * 1024);
    expect(c.serviceLabels).toEqual([...DEFAULT_SERVICE_LABELS]);
    expect(c.logLevel).toBe('info');
    expect(c.ingestToken).toBeUndefined();
    expect(c.pagerdutyWebhookSecrets).toEqual([]);
    expect(c.slack).toEqual({
      botToken: undefined,
      signingSecret: undefined,
      appToken: undefined,
      apiUrl: undefined,
      incidentChannel: undefined,
    });
    expect(c.tracing).toEqual({ enabled: false, serviceName: 'rcabot' });
    expect(c.tracesWorker).toBe(true);
    expect(c.serviceCatalogFile).toBeUndefined();
  });

  it('turns the traces worker off only for TRACES_WORKER=false, and names a bad value', () => {
    expect(loadConfig({ TRACES_WORKER: 'false' }).tracesWorker).toBe(false);
    expect(loadConfig({ TRACES_WORKER: 'true' }).tracesWorker).toBe(true);
    expect(errorOf({ TRACES_WORKER: 'no' }).message).toMatch(/^TRACES_WORKER: expected true or false/);
  });

  it('reads every variable it knows', () => {
    const c = loadConfig({
      PORT: '8080',
      HOST: '127.0.0.1',
      REDIS_URL: 'rediss://redis.example:6380/2',
      REDIS_PREFIX: 'prod:',
      INGEST_TOKEN: 'tok',
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_SIGNING_SECRET: 'sign',
      SLACK_APP_TOKEN: 'xapp-1',
      SLACK_API_URL: 'http://127.0.0.1:9999/api/',
      SLACK_INCIDENT_CHANNEL: 'C123',
      RUNBOOKS_DIR: '/rb',
      KUBECONFIG: '/kube/config',
      PAGERDUTY_WEBHOOK_SECRETS: 'old, new ,',
      GITHUB_WEBHOOK_SECRET: 'gh',
      BODY_LIMIT_BYTES: '2048',
      SERVICE_LABELS: 'svc, app',
      LOG_LEVEL: 'DEBUG',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces',
      OTEL_SERVICE_NAME: 'rcabot-prod',
    });
    expect(c.port).toBe(8080);
    expect(c.host).toBe('127.0.0.1');
    expect(c.redisUrl).toBe('rediss://redis.example:6380/2');
    expect(c.redisPrefix).toBe('prod:');
    expect(c.ingestToken).toBe('tok');
    expect(c.slack).toEqual({
      botToken: 'xoxb-1',
      signingSecret: 'sign',
      appToken: 'xapp-1',
      apiUrl: 'http://127.0.0.1:9999/api/',
      incidentChannel: 'C123',
    });
    expect(c.runbooksDir).toBe('/rb');
    expect(c.kubeconfig).toBe('/kube/config');
    expect(c.pagerdutyWebhookSecrets).toEqual(['old', 'new']);
    expect(c.githubWebhookSecret).toBe('gh');
    expect(c.bodyLimitBytes).toBe(2048);
    expect(c.serviceLabels).toEqual(['svc', 'app']);
    expect(c.logLevel).toBe('debug');
    expect(c.tracing).toEqual({ enabled: true, serviceName: 'rcabot-prod' });
  });

  it('treats empty values as unset', () => {
    const c = loadConfig({ PORT: '', INGEST_TOKEN: '', REDIS_URL: '  ' });
    expect(c.port).toBe(3000);
    expect(c.ingestToken).toBeUndefined();
    expect(c.redisUrl).toBe('redis://127.0.0.1:6379');
  });

  it.each(['abc', '65536', '80.5', '-1'])('rejects PORT=%s with a message naming PORT and the value', (port) => {
    const e = errorOf({ PORT: port });
    expect(e.message).toBe(`PORT: expected an integer 0–65535, got '${port}'`);
    expect(e.variables).toEqual(['PORT']);
  });

  it('names every bad variable at once', () => {
    const e = errorOf({ PORT: 'x', REDIS_URL: 'http://redis:6379', LOG_LEVEL: 'loud', SLACK_API_URL: 'not a url' });
    expect(e.variables.sort()).toEqual(['LOG_LEVEL', 'PORT', 'REDIS_URL', 'SLACK_API_URL']);
    expect(e.message).toContain("REDIS_URL: expected a URL (redis:// or rediss://), got 'http://redis:6379'");
    expect(e.message).toContain('LOG_LEVEL: expected one of');
  });

  it('rejects a body limit below 1 KiB', () => {
    expect(errorOf({ BODY_LIMIT_BYTES: '10' }).message).toMatch(/^BODY_LIMIT_BYTES: expected an integer/);
  });

  it('reads NAME_FILE variables and trims the trailing newline', () => {
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 's3cret\n');
    const pdFile = join(dir, 'pd');
    writeFileSync(pdFile, 'a,b\r\n');
    const c = loadConfig({ INGEST_TOKEN_FILE: tokenFile, PAGERDUTY_WEBHOOK_SECRETS_FILE: pdFile, SLACK_SIGNING_SECRET_FILE: tokenFile });
    expect(c.ingestToken).toBe('s3cret');
    expect(c.slack.signingSecret).toBe('s3cret');
    expect(c.pagerdutyWebhookSecrets).toEqual(['a', 'b']);
  });

  it('refuses NAME and NAME_FILE set together', () => {
    const tokenFile = join(dir, 'both');
    writeFileSync(tokenFile, 'x\n');
    const e = errorOf({ GITHUB_WEBHOOK_SECRET: 'y', GITHUB_WEBHOOK_SECRET_FILE: tokenFile });
    expect(e.message).toMatch(/^GITHUB_WEBHOOK_SECRET: both GITHUB_WEBHOOK_SECRET and GITHUB_WEBHOOK_SECRET_FILE are set/);
  });

  it('names the _FILE variable when the file cannot be read or is empty', () => {
    expect(errorOf({ SLACK_BOT_TOKEN_FILE: join(dir, 'missing') }).message).toMatch(/^SLACK_BOT_TOKEN_FILE: cannot read .*ENOENT/);
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\n');
    expect(errorOf({ SLACK_APP_TOKEN_FILE: empty }).message).toMatch(/^SLACK_APP_TOKEN_FILE: file .* is empty/);
  });

  it('never echoes a secret value in an error', () => {
    const tokenFile = join(dir, 'secret-both');
    writeFileSync(tokenFile, 'other');
    const e = errorOf({ PORT: 'bad', INGEST_TOKEN: 'topsecret', INGEST_TOKEN_FILE: tokenFile });
    expect(e.variables.sort()).toEqual(['INGEST_TOKEN', 'PORT']);
    expect(e.message).not.toContain('topsecret');
  });

  it('turns tracing on only when an OTLP endpoint is set and the SDK is not disabled', () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).tracing.enabled).toBe(true);
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' }).tracing.enabled).toBe(false);
    expect(loadConfig({ OTEL_SERVICE_NAME: 'x' }).tracing.enabled).toBe(false);
  });
});
