// Every event type of the recorded stream (CONTRACT §1) mapped to the source that parses it.
import type { EventType } from '../model/event.js';
import { alertmanagerSource } from './alertmanager.js';
import { argocdSource } from './argocd.js';
import { datadogSource } from './datadog.js';
import { deploySource } from './deploy.js';
import { genericAlertSource } from './generic-alert.js';
import { githubSource } from './github.js';
import { grafanaSource } from './grafana.js';
import { otlpSource } from './otlp.js';
import { pagerdutySource } from './pagerduty.js';
import type { IngestSource } from './source.js';

export const ingestSources: Readonly<Record<EventType, IngestSource>> = {
  alertmanager: alertmanagerSource,
  grafana: grafanaSource,
  pagerduty: pagerdutySource,
  datadog: datadogSource,
  alert: genericAlertSource,
  otlp: otlpSource,
  deploy: deploySource,
  'github.deployment_status': githubSource,
  argocd: argocdSource,
};
