/**
 * What a span may carry out of the process (worker/tracing.ts `scrubbed`): an error's type, never
 * its message or stack, which can quote what a user entered.
 */
import { SpanStatusCode } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, test } from 'vitest';
import { scrubbed } from '../../worker/tracing.js';

describe('scrubbed spans', () => {
  test('an exception keeps its type; its message, its stack and the status message are gone', async () => {
    const memory = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(scrubbed(memory))] });
    const span = provider.getTracer('test').startSpan('RunActivity:recordMatterEvent', { attributes: { temporalActivityId: '3' } });
    const err = new TypeError('主体 王建国 13912345678 不存在');
    span.recordException(err);
    span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
    span.end();
    const ok = provider.getTracer('test').startSpan('POST /v1/matters');
    ok.end();
    await provider.forceFlush();

    const [failed, fine] = memory.getFinishedSpans();
    expect(failed!.name).toBe('RunActivity:recordMatterEvent');
    expect(failed!.attributes).toEqual({ temporalActivityId: '3' });
    expect(failed!.status).toEqual({ code: SpanStatusCode.ERROR });
    expect(failed!.events.map((e) => ({ name: e.name, attributes: e.attributes }))).toEqual([
      { name: 'exception', attributes: { 'exception.type': 'TypeError' } },
    ]);
    expect(failed!.spanContext().spanId).toBe(span.spanContext().spanId);
    expect(JSON.stringify({ ...failed, events: failed!.events, status: failed!.status })).not.toMatch(/王建国|13912345678/);
    // A span without an error passes untouched.
    expect(fine!.name).toBe('POST /v1/matters');
    expect(fine!.status).toEqual({ code: SpanStatusCode.UNSET });
  });
});
