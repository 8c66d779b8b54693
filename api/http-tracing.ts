import * as otel from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';

const spanOf = new WeakMap<FastifyRequest, { span: otel.Span; context: otel.Context }>();

/**
 * A server span per request (`POST /v1/matters`), the parent of everything its handler does: the
 * Temporal client's `StartWorkflow`/`StartWorkflowUpdate` spans, and through their headers the
 * workflow's and its activities' spans. A caller's W3C `traceparent` makes it a child of the
 * caller's trace. Registered only when tracing is on (worker/tracing.ts), before every other hook.
 *
 * Its attributes are the method, the route template (never the URL, whose ids belong in the
 * Temporal spans), the status and the request id (the `x-request-id` of the answer and of the log
 * lines); never a header, a query or the body.
 *
 * The request's context is entered twice: at `onRequest` (so the hooks that authenticate and
 * rate-limit run inside it) and again at `preHandler`, since reading the body resumes in the
 * socket's own async context, not the hook's.
 */
export function traceRequests(app: FastifyInstance, tracer: otel.Tracer): void {
  app.addHook('onRequest', (req, _reply, done) => {
    const route = req.routeOptions.url;
    const parent = otel.propagation.extract(otel.ROOT_CONTEXT, req.headers);
    const span = tracer.startSpan(
      route ? `${req.method} ${route}` : req.method,
      {
        kind: otel.SpanKind.SERVER,
        attributes: { 'http.request.method': req.method, ...(route ? { 'http.route': route } : {}), 'http.request.id': req.id },
      },
      parent,
    );
    const context = otel.trace.setSpan(parent, span);
    spanOf.set(req, { span, context });
    otel.context.with(context, done);
  });
  app.addHook('preHandler', (req, _reply, done) => {
    const traced = spanOf.get(req);
    if (traced) otel.context.with(traced.context, done);
    else done();
  });
  const end = (req: FastifyRequest, status: number | undefined) => {
    const traced = spanOf.get(req);
    if (!traced) return;
    spanOf.delete(req);
    if (status !== undefined) {
      traced.span.setAttribute('http.response.status_code', status);
      // A 4xx is the caller's mistake, not the server's (OpenTelemetry's HTTP conventions).
      if (status >= 500) traced.span.setStatus({ code: otel.SpanStatusCode.ERROR });
    } else {
      traced.span.setStatus({ code: otel.SpanStatusCode.ERROR });
      traced.span.setAttribute('http.request.aborted', true);
    }
    traced.span.end();
  };
  app.addHook('onResponse', (req, reply, done) => {
    end(req, reply.statusCode);
    done();
  });
  app.addHook('onRequestAbort', (req, done) => {
    end(req, undefined);
    done();
  });
}
