// Event lines: the schema's verdicts, also for lines that repeat the previous line's receivedAt (those skip the
// schema's datetime check, which must change nothing).
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { parseEventLine } from '../../../src/replay/event-line.js';

const AT = '2026-10-14T08:00:30.000Z';

describe('parseEventLine', () => {
  it('accepts a valid line and gives the same verdict when the next lines repeat its receivedAt', () => {
    const first = parseEventLine(JSON.stringify({ type: 'otlp', receivedAt: AT, payload: {} }));
    expect(first).toEqual({ ok: true, type: 'otlp', receivedAt: Date.parse(AT), payload: {} });
    expect(parseEventLine(JSON.stringify({ type: 'alertmanager', receivedAt: AT, payload: [1] }))).toEqual({ ok: true, type: 'alertmanager', receivedAt: Date.parse(AT), payload: [1] });
    expect(parseEventLine(JSON.stringify({ type: '', receivedAt: AT, payload: {} }))).toEqual({ ok: false, reason: 'type: Too small: expected string to have >=1 characters' });
    expect(parseEventLine(JSON.stringify({ type: 7, receivedAt: AT, payload: {} }))).toMatchObject({ ok: false, reason: expect.stringMatching(/^type: /) });
    expect(parseEventLine(JSON.stringify({ type: 'otlp', receivedAt: AT }))).toMatchObject({ ok: false, reason: expect.stringMatching(/^payload: /) });
    expect(parseEventLine(JSON.stringify({ type: 'otlp', receivedAt: AT, payload: null }))).toEqual({ ok: true, type: 'otlp', receivedAt: Date.parse(AT), payload: null });
    expect(parseEventLine(JSON.stringify({ type: 'nope', receivedAt: AT, payload: {} }))).toEqual({ ok: false, unknownType: 'nope', reason: 'unknown type "nope"' });
    expect(parseEventLine(JSON.stringify([{ type: 'otlp', receivedAt: AT, payload: {} }]))).toMatchObject({ ok: false, reason: expect.stringMatching(/^\(root\): /) });
    expect(parseEventLine(JSON.stringify({ type: 'otlp', receivedAt: null, payload: {} }))).toMatchObject({ ok: false, reason: expect.stringMatching(/^receivedAt: /) });
    expect(parseEventLine(JSON.stringify({ type: 'otlp', receivedAt: '2026-10-14 08:00:30', payload: {} }))).toMatchObject({ ok: false, reason: expect.stringMatching(/^receivedAt: /) });
  });

  it('names every problem of a line, an unknown type first', () => {
    expect(parseEventLine(JSON.stringify({ type: 'nagios', payload: {} }))).toEqual({
      ok: false,
      unknownType: 'nagios',
      reason: 'unknown type "nagios"; receivedAt: Invalid input: expected string, received undefined',
    });
    expect(parseEventLine(JSON.stringify({ type: 7, receivedAt: 'yesterday', payload: {} }))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^type: .*; receivedAt: /),
    });
  });

  it('gives every line of any sequence the verdict it gets on its own', () => {
    const receivedAt = fc.constantFrom(AT, '2026-10-14T08:01:00+02:00', 'yesterday', '', null, 5);
    const line = fc.record({ type: fc.constantFrom('otlp', 'alertmanager', '', 'x', 3), receivedAt, payload: fc.constantFrom({}, [], 0, null, undefined) }, { requiredKeys: ['type', 'receivedAt'] });
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 12 }), fc.array(line, { maxLength: 3 }), (lines, primers) => {
        const texts = lines.map((l) => JSON.stringify(l));
        const alone = texts.map((t) => {
          // A line that differs from every other receivedAt first runs through the schema, so this is its own verdict.
          parseEventLine(JSON.stringify({ type: 'otlp', receivedAt: '2000-01-01T00:00:00Z', payload: {} }));
          return parseEventLine(t);
        });
        for (const p of primers) parseEventLine(JSON.stringify(p));
        expect(texts.map((t) => parseEventLine(t))).toEqual(alone);
      }),
      { numRuns: 300 },
    );
  });
});
