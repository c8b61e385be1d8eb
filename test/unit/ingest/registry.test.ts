import { describe, expect, it } from 'vitest';
import { ingestSources } from '../../../src/ingest/registry.js';
import { EVENT_TYPES } from '../../../src/model/event.js';

describe('ingestSources', () => {
  it('has a source for every event type of the stream, declaring that type', () => {
    expect(Object.keys(ingestSources).sort()).toEqual([...EVENT_TYPES].sort());
    for (const type of EVENT_TYPES) expect(ingestSources[type].type).toBe(type);
  });
});
