// Redis keys of the Slack layer, under the deployment prefix with one hash tag (single slot on Redis Cluster).
import { normalizePrefix } from '../store/keys.js';

export interface SlackKeys {
  /** hash service → JSON ServiceOverview */
  serviceOverviews: string;
  /** hash incident id → JSON IncidentContext */
  incidentContexts: string;
  /** hash incident id → JSON of the latest {report, context} the notifier was given */
  latest: string;
  /** hash incident id → JSON MessageState (channel, ts, digest, …) */
  messages: string;
  /** hash opaque action id → JSON ActionRef */
  actionRefs: string;
  /** string per remediation proposal → JSON ProposalMessage (where its message is, the plan hash shown) */
  proposalMessage(proposalId: string): string;
}

export function slackKeys(prefix: string): SlackKeys {
  const p = `${normalizePrefix(prefix)}{slack}:`;
  return {
    serviceOverviews: `${p}service-overviews`,
    incidentContexts: `${p}incident-contexts`,
    latest: `${p}latest`,
    messages: `${p}messages`,
    actionRefs: `${p}action-refs`,
    proposalMessage: (proposalId) => `${p}proposal-message:${proposalId}`,
  };
}
