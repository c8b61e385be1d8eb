// OpenTelemetry tracing of rcabot itself: an OTLP exporter when an endpoint is configured, else the API's no-op.
import {
  context,
  propagation,
  trace,
  SpanStatusCode,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import type { AppConfig } from '../config.js';

export const TRACER_NAME = 'rcabot';

let provider: BasicTracerProvider | undefined;

/**
 * Starts exporting spans when config.tracing.enabled (an OTLP endpoint is set). The exporter reads the
 * standard OTEL_EXPORTER_OTLP_* variables itself (endpoint, headers, compression, timeout).
 * Returns whether tracing is now active. Calling it twice is harmless.
 */
export function startTracing(config: Pick<AppConfig, 'tracing'>): boolean {
  if (!config.tracing.enabled || provider) return provider !== undefined;
  // envDetector adds OTEL_RESOURCE_ATTRIBUTES; our service name is the default, OTEL_SERVICE_NAME wins via config.
  const resource = resourceFromAttributes({ 'service.name': config.tracing.serviceName }).merge(
    detectResources({ detectors: [envDetector] }),
  );
  provider = new BasicTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  return true;
}

/** Flushes pending spans and unregisters the provider; a no-op when tracing never started. */
export async function shutdownTracing(): Promise<void> {
  const p = provider;
  provider = undefined;
  if (!p) return;
  await p.shutdown();
  trace.disable();
  propagation.disable();
}

export function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/**
 * Runs `fn` inside a span that is a child of `parent`, ending it and recording an exception on throw.
 * Contexts are passed explicitly because no async context manager is installed (none ships for our pins).
 */
export async function withSpan<T>(
  name: string,
  parent: Context,
  fn: (span: Span, ctx: Context) => Promise<T> | T,
): Promise<T> {
  const span = tracer().startSpan(name, {}, parent);
  const ctx = trace.setSpan(parent, span);
  try {
    return await fn(span, ctx);
  } catch (e) {
    span.recordException(e as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error).message });
    throw e;
  } finally {
    span.end();
  }
}

/** Serialises the trace context into a plain object (W3C `traceparent`/`tracestate`), e.g. into job data. */
export function injectTraceContext(ctx: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

/** Restores a trace context from a plain object written by injectTraceContext (or from HTTP headers). */
export function extractTraceContext(carrier: Record<string, string | string[] | undefined> | undefined): Context {
  if (!carrier) return context.active();
  return propagation.extract(context.active(), carrier);
}
