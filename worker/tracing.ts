/**
 * OpenTelemetry traces, shared by the API and the worker: one trace from an HTTP request through
 * the workflow it starts or updates to the workflow's activities (and child workflows).
 *
 * Off unless an OTLP endpoint is configured by the standard variables, `OTEL_EXPORTER_OTLP_ENDPOINT`
 * or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`: no provider, no exporter, no interceptor, no HTTP hook.
 * When on, spans go out over OTLP/HTTP (`OTEL_EXPORTER_OTLP_PROTOCOL` / `_TRACES_PROTOCOL`:
 * `http/protobuf`, the default, or `http/json`) in batches (`OTEL_BSP_*`); the exporters read their
 * own variables (`OTEL_EXPORTER_OTLP_HEADERS`, `_TIMEOUT`, `_COMPRESSION`…) and the provider the
 * sampler (`OTEL_TRACES_SAMPLER`, `_ARG`). `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`
 * switches it off again.
 *
 * What leaves the process: span names (`POST /v1/matters`, `StartWorkflow:selfBuiltHousingMatter`,
 * `RunActivity:recordMatterEvent`), route templates, statuses, workflow, run, activity and update
 * ids (readable ids carry no personal data, ARCHITECTURE §5). An error's type stays, but not its
 * message or stack (a business failure's message may quote what was entered): `scrubbed`.
 */
import * as otel from '@opentelemetry/api';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { envDetectorSync, Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { ExportResult } from '@opentelemetry/core';
import { ConfigError } from '../domain/config.js';

export type OtlpProtocol = 'http/protobuf' | 'http/json';

export interface TracingSettings {
  protocol: OtlpProtocol;
  serviceName: string;
}

/** Whether and how to trace, from the standard OTEL_* variables; undefined: off (the default). */
export function tracingSettings(env: Record<string, string | undefined>, service: 'api' | 'worker'): TracingSettings | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return undefined;
  const exporter = env.OTEL_TRACES_EXPORTER?.trim().toLowerCase();
  if (exporter === 'none') return undefined;
  if (!env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT && !env.OTEL_EXPORTER_OTLP_ENDPOINT) return undefined;
  if (exporter && exporter !== 'otlp') throw new ConfigError([`OTEL_TRACES_EXPORTER: only otlp (or none) is supported, got ${exporter}`]);
  const protocol = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf').trim();
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new ConfigError([`OTEL_EXPORTER_OTLP_PROTOCOL: http/protobuf or http/json (OTLP over HTTP; send gRPC through a collector), got ${protocol}`]);
  }
  return { protocol, serviceName: env.OTEL_SERVICE_NAME?.trim() || `integrated-supervision-${service}` };
}

/** The process's tracing, once started: what the interceptors, the sinks and the HTTP hooks need. */
export interface Tracing {
  tracer: otel.Tracer;
  resource: Resource;
  /** Where every span ends, the workflows' too (through the worker's sink). */
  spanProcessor: SpanProcessor;
  /** Exports what is buffered (tests; graceful shutdown calls shutdown, which flushes too). */
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * Starts tracing when the environment asks for it: registers the process's tracer provider (with
 * the AsyncLocalStorage context manager, so a request's span is the parent of what its handler
 * calls, and W3C `traceparent` propagation), or returns undefined and does nothing.
 */
export function startTracing(env: Record<string, string | undefined>, service: 'api' | 'worker', exporter?: SpanExporter): Tracing | undefined {
  const settings = tracingSettings(env, service);
  if (!settings) return undefined;
  const resource = new Resource({ 'service.name': settings.serviceName }).merge(envDetectorSync.detect());
  const otlp = exporter ?? (settings.protocol === 'http/json' ? new JsonTraceExporter() : new ProtobufTraceExporter());
  const spanProcessor = new BatchSpanProcessor(scrubbed(otlp));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  return {
    tracer: provider.getTracer('integrated-supervision'),
    resource,
    spanProcessor,
    forceFlush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

/**
 * The exporter, minus what a span may carry from an error: the message and stack of an exception
 * event and of an error status. A workflow's failure or an activity's error can quote input (a
 * refusal naming what was entered); the type and the span's place in the trace are what an
 * operator needs to find it in the logs, which are scrubbed the same way.
 */
export function scrubbed(exporter: SpanExporter): SpanExporter {
  const scrub = (span: ReadableSpan): ReadableSpan => {
    if (span.events.length === 0 && !span.status.message) return span;
    // A view of the span (its methods and other fields through the prototype) with the two replaced.
    return Object.create(span, {
      status: { value: { code: span.status.code }, enumerable: true },
      events: {
        value: span.events.map((e) =>
          e.name === 'exception' ? { ...e, attributes: { 'exception.type': e.attributes?.['exception.type'] ?? 'Error' } } : { ...e, attributes: {} },
        ),
        enumerable: true,
      },
    }) as ReadableSpan;
  };
  return {
    export: (spans: ReadableSpan[], done: (r: ExportResult) => void) => exporter.export(spans.map(scrub), done),
    shutdown: () => exporter.shutdown(),
    ...(exporter.forceFlush ? { forceFlush: () => exporter.forceFlush!() } : {}),
  };
}

export { otel };
