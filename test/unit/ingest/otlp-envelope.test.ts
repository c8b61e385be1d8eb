// The hand check of the OTLP/JSON envelope must never accept what the zod schema rejects (it lets a body skip zod),
// and must accept the well-formed bodies senders really send (else it saves nothing).
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { isWellFormedEnvelope, OtlpEnvelopeSchema, parseOtlpTraces } from '../../../src/ingest/otlp.js';
import { DEFAULT_SERVICE_LABELS } from '../../../src/ingest/source.js';

/** Any JSON value, small. */
const anyJson = fc.jsonValue({ maxDepth: 2 });

/** Something near the schema: mostly the right shape, sometimes a wrong value anywhere. */
function near<T>(right: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc.oneof({ arbitrary: right, weight: 6 }, { arbitrary: fc.constantFrom(null, undefined), weight: 1 }, { arbitrary: anyJson, weight: 1 });
}

const attribute = fc.record({ key: near(fc.constantFrom('service.name', 'host.name')), value: near(fc.record({ stringValue: near(fc.string()) })) }, { requiredKeys: [] });
const span = fc.record({ traceId: fc.constant('0af7651916cd43dd8448eb211c80319c'), spanId: fc.constant('b7ad6b7169203331'), name: fc.string() }, { requiredKeys: [] });
const scope = fc.record({ scope: anyJson, spans: near(fc.array(near(span), { maxLength: 3 })) }, { requiredKeys: [] });
const resourceSpans = fc.record(
  {
    resource: near(fc.record({ attributes: near(fc.array(near(attribute), { maxLength: 3 })), droppedAttributesCount: fc.nat() }, { requiredKeys: [] })),
    scopeSpans: near(fc.array(near(scope), { maxLength: 3 })),
    instrumentationLibrarySpans: near(fc.array(near(scope), { maxLength: 2 })),
    schemaUrl: fc.string(),
  },
  { requiredKeys: [] },
);
const envelope = near(fc.record({ resourceSpans: near(fc.array(near(resourceSpans), { maxLength: 3 })) }, { requiredKeys: [] }));

describe('isWellFormedEnvelope', () => {
  it('accepts only what the envelope schema accepts', () => {
    let accepted = 0;
    fc.assert(
      fc.property(envelope, (body) => {
        if (isWellFormedEnvelope(body)) {
          accepted++;
          expect(OtlpEnvelopeSchema.safeParse(body).success).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
    expect(accepted).toBeGreaterThan(300);
  });

  it('gives the same parse result whether a body skips zod or not', () => {
    fc.assert(
      fc.property(envelope, (body) => {
        const ctx = { serviceLabels: DEFAULT_SERVICE_LABELS, receivedAt: 0 };
        const viaZod = OtlpEnvelopeSchema.safeParse(body);
        const result = parseOtlpTraces(body, ctx);
        // A body the schema rejects is rejected; one it accepts reads as the schema's own output would.
        if (!viaZod.success) expect(result.ok).toBe(false);
        else expect(result).toEqual(parseOtlpTraces(viaZod.data, ctx));
      }),
      { numRuns: 1000 },
    );
  });

  it('accepts a real SDK-shaped body', () => {
    const body = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }], droppedAttributesCount: 0 },
          scopeSpans: [{ scope: { name: 'x' }, spans: [{ traceId: '0af7651916cd43dd8448eb211c80319c' }] }],
        },
      ],
    };
    expect(isWellFormedEnvelope(body)).toBe(true);
    expect(isWellFormedEnvelope({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name' }] } }] })).toBe(false);
  });
});
