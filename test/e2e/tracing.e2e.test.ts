/**
 * OpenTelemetry traces end to end (worker/tracing.ts): a matter launched through HTTP is one
 * trace, from the request's span through the Temporal client's StartWorkflow, the workflow's run
 * and its activities' starts to the activities themselves, exported over OTLP/HTTP (JSON) as
 * production would, configured only by the standard OTEL_* variables. The collector is a small
 * HTTP server in this file keeping every export request; nothing personal is in any of them.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTracing, tracingSettings, type Tracing } from '../../worker/tracing.js';
import { eventually } from '../helpers/eventually.js';
import { useStack } from '../helpers/stack.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: { key: string; value: Record<string, unknown> }[];
  status?: { code?: number; message?: string };
}

/** Every export request as received (raw text) and the spans in it. */
const exports: string[] = [];
const spans: OtlpSpan[] = [];
const paths = new Set<string>();
let collector: Server;
let tracing: Tracing | undefined;

beforeAll(async () => {
  collector = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      paths.add(`${req.method} ${req.url} ${req.headers['content-type']}`);
      exports.push(body);
      const parsed = JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] };
      for (const rs of parsed.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  // As a deployment sets it: the standard variables only (the exporter reads the endpoint itself).
  const env = {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '200',
  };
  Object.assign(process.env, env);
  tracing = startTracing(process.env, 'api');
});

const stack = useStack({
  queue: 'e2e-tracing',
  tracing: () => tracing!,
  keys: { operator: { county: '610124', roles: ['operator'] } },
});

afterAll(async () => {
  await tracing?.shutdown();
  await new Promise((resolve) => collector.close(resolve));
});

const subjectName = '王建国自建房';
const address = '周至县尚村镇王家村12号 13912345678';
const byId = (id: string | undefined) => spans.find((s) => s.spanId === id);
const attr = (s: OtlpSpan, key: string) => s.attributes?.find((a) => a.key === key)?.value;

describe('tracing', () => {
  test('is off unless an OTLP endpoint is configured; only OTLP over HTTP', () => {
    expect(tracingSettings({}, 'api')).toBeUndefined();
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' }, 'api')).toBeUndefined();
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' }, 'api')).toBeUndefined();
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' }, 'worker')).toEqual({
      protocol: 'http/protobuf',
      serviceName: 'integrated-supervision-worker',
    });
    expect(() => tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'api')).toThrow(
      /OTEL_EXPORTER_OTLP_PROTOCOL: http\/protobuf or http\/json/,
    );
  });

  test('one trace covers the request, the workflow start, the run and its activities; nothing personal in it', async () => {
    const created = await stack.call(
      'operator',
      'POST',
      '/v1/matters',
      { scenario: 'self-built-housing', county: '610124', subject: { name: subjectName, kind: 'house', address }, facts: { township: '610124100' } },
      { 'idempotency-key': 'trace-0001-matter' },
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const matterId = created.body.matterId as string;

    // The request's span is the root (no traceparent was sent); the client's start is its child.
    const http = await eventually(() => spans.find((s) => s.name === 'POST /v1/matters'), { message: 'the request span exported' });
    expect(http.parentSpanId ?? '').toBe('');
    expect(http.kind).toBe(2); // SERVER
    expect(attr(http, 'http.route')).toEqual({ stringValue: '/v1/matters' });
    expect(attr(http, 'http.response.status_code')).toEqual({ intValue: 201 });
    const start = await eventually(() => spans.find((s) => s.name === 'StartWorkflow:selfBuiltHousingMatter'), { message: 'the start span exported' });
    expect(start.traceId).toBe(http.traceId);
    expect(start.parentSpanId).toBe(http.spanId);
    expect(attr(start, 'temporalWorkflowId')).toEqual({ stringValue: matterId });

    // An activity of the matter's own run, whose start the run made (its span ends with the activity).
    const activity = await eventually(
      () =>
        spans.find((s) => {
          if (!s.name.startsWith('RunActivity:') || s.traceId !== http.traceId) return false;
          const scheduled = byId(s.parentSpanId);
          return scheduled?.name.startsWith('StartActivity:') ? s : false;
        }),
      { timeoutMs: 60_000, message: 'an activity span in the request trace' },
    );
    const scheduledBy = byId(activity.parentSpanId)!;
    expect(scheduledBy.traceId).toBe(http.traceId);

    // The run's span ends with the run: cancel the matter (another request, another trace).
    expect((await stack.call('operator', 'POST', `/v1/matters/${matterId}/cancel`, { reason: '测试结束' })).status).toBe(200);
    const run = await eventually(() => spans.find((s) => s.name === 'RunWorkflow:selfBuiltHousingMatter' && s.traceId === http.traceId), {
      timeoutMs: 60_000,
      message: async () =>
        `the run span exported once the matter ended (workflow ${(await stack.client.workflow.getHandle(matterId).describe()).status.name}; spans ${[...new Set(spans.map((s) => s.name))].join(', ')})`,
    });
    expect(run.parentSpanId).toBe(start.spanId);
    // Every span between the activity and the run is in the same trace, up to the run.
    let up: OtlpSpan | undefined = activity;
    const chain: string[] = [];
    while (up && up.spanId !== run.spanId) {
      chain.push(up.name);
      expect(up.traceId).toBe(http.traceId);
      up = byId(up.parentSpanId);
    }
    expect(up?.spanId, `chain from the activity: ${chain.join(' → ')}`).toBe(run.spanId);

    // The cancel request is its own trace, whose Update reached the workflow.
    // (Its spans and the run's leave in separate batches: wait for them too.)
    const cancel = await eventually(() => spans.find((s) => s.name === 'POST /v1/matters/:matterId/cancel'), { message: 'the cancel request span exported' });
    expect(cancel.traceId).not.toBe(http.traceId);
    const update = await eventually(() => spans.find((s) => s.name === 'StartWorkflowUpdate:cancelMatter'), { message: 'the Update span exported' });
    expect(update.parentSpanId).toBe(cancel.spanId);

    // Exported as configured: OTLP/HTTP JSON on the standard path.
    expect([...paths]).toEqual(['POST /v1/traces application/json']);
    // Nothing personal in any export: not the subject's name, its address or a phone number.
    const all = exports.join('\n');
    for (const secret of [subjectName, '王建国', '尚村镇王家村', '13912345678']) expect(all).not.toContain(secret);
  }, 120_000);
});
