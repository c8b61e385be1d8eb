// The "Not it" modal: pick the real root cause from the suspects and affected services, or type a service.
import type { types } from '@slack/bolt';
import type { IncidentReport } from '../../model/incident.js';
import { REAL_CAUSE_INPUTS, VIEW_IDS, type ActionRefs } from '../action-refs.js';
import { escapeMrkdwn, LIMITS, section, truncate } from './block-kit.js';

export function renderRealCauseModal(report: IncidentReport, rejected: string | null, refs: ActionRefs, metadataRef: string): types.ModalView {
  const candidates = [...new Set([...report.rootCauses.map((r) => r.service), ...report.services])].filter((s) => s !== rejected);
  const options = candidates.slice(0, LIMITS.selectOptions).map((service) => ({
    text: { type: 'plain_text' as const, text: truncate(service, LIMITS.optionText) },
    value: refs.add({ kind: 'suspect', incidentId: report.id, service }),
  }));
  const intro = rejected ? `Noted: \`${escapeMrkdwn(rejected)}\` is not the root cause of *${escapeMrkdwn(report.title)}*.` : `*${escapeMrkdwn(report.title)}*`;
  const blocks: types.KnownBlock[] = [section(`${intro}\nWhat was the real cause? Your answer is used to rank the next similar incident.`)];
  if (options.length > 0) {
    blocks.push({
      type: 'input',
      block_id: REAL_CAUSE_INPUTS.selectBlock,
      optional: true,
      label: { type: 'plain_text', text: 'Real root cause' },
      element: { type: 'static_select', action_id: REAL_CAUSE_INPUTS.selectAction, placeholder: { type: 'plain_text', text: 'Choose a service' }, options },
    });
  }
  blocks.push({
    type: 'input',
    block_id: REAL_CAUSE_INPUTS.typedBlock,
    optional: true,
    label: { type: 'plain_text', text: options.length > 0 ? 'Or type a service' : 'Service' },
    element: { type: 'plain_text_input', action_id: REAL_CAUSE_INPUTS.typedAction, max_length: 200, placeholder: { type: 'plain_text', text: 'e.g. payments-db' } },
  });
  return {
    type: 'modal',
    callback_id: VIEW_IDS.realCause,
    private_metadata: truncate(metadataRef, LIMITS.privateMetadata),
    title: { type: 'plain_text', text: 'Real root cause' },
    submit: { type: 'plain_text', text: 'Record' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks,
  };
}
