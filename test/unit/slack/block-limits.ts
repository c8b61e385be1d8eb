// Checks a rendered message against Slack's Block Kit limits (used by the unit and integration tests).
import { expect } from 'vitest';
import { LIMITS } from '../../../src/slack/render/block-kit.js';

type AnyBlock = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function expectWithinBlockKitLimits(blocks: readonly unknown[]): void {
  expect(blocks.length).toBeLessThanOrEqual(LIMITS.blocks);
  for (const raw of blocks) {
    const b = raw as AnyBlock;
    if (b.type === 'header') expect([...b.text.text].length).toBeLessThanOrEqual(LIMITS.headerText);
    if (b.type === 'section') {
      expect([...b.text.text].length).toBeLessThanOrEqual(LIMITS.sectionText);
      if (b.accessory?.type === 'button') {
        expect([...b.accessory.text.text].length).toBeLessThanOrEqual(LIMITS.buttonText);
        expect(b.accessory.value.length).toBeLessThanOrEqual(LIMITS.buttonValue);
      }
    }
    if (b.type === 'context') {
      expect(b.elements.length).toBeLessThanOrEqual(LIMITS.contextElements);
      for (const e of b.elements) expect([...e.text].length).toBeLessThanOrEqual(LIMITS.contextText);
    }
    if (b.type === 'actions') expect(b.elements.length).toBeLessThanOrEqual(LIMITS.actionsElements);
  }
}
