/**
 * The API's Prometheus metrics: a counter and a duration histogram of HTTP requests, and the text
 * exposition format (version 0.0.4) written by hand, so no client library is needed for the three
 * kinds used here (counter, histogram, gauge).
 *
 * Labels are bounded and carry no personal data: the route is Fastify's template
 * (`/v1/tasks/:taskId`, never the URL with its ids), `(unmatched)` for a URL no route serves.
 */

/** Seconds: an inbox read is a few ms, an Update waits up to UPDATE_TIMEOUT_MS (8 s), requests end at 10 s. */
export const durationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

export const unmatchedRoute = '(unmatched)';

export type Labels = Record<string, string>;

/** One metric family as the exposition format writes it: `# HELP`, `# TYPE`, then its samples. */
export interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  samples: { name?: string; labels: Labels; value: number }[];
}

interface Observed {
  labels: Labels;
  count: number;
  sum: number;
  buckets: number[];
}

export class HttpMetrics {
  private readonly series = new Map<string, Observed>();

  /** One answered request. `route` is the route template, undefined when no route matched. */
  observe(method: string, route: string | undefined, status: number, seconds: number): void {
    const labels = { method, route: route ?? unmatchedRoute, status: String(status) };
    const key = `${labels.method} ${labels.route} ${labels.status}`;
    let s = this.series.get(key);
    if (!s) {
      s = { labels, count: 0, sum: 0, buckets: durationBuckets.map(() => 0) };
      this.series.set(key, s);
    }
    s.count += 1;
    s.sum += seconds;
    durationBuckets.forEach((le, i) => {
      if (seconds <= le) s.buckets[i]! += 1;
    });
  }

  families(): Family[] {
    const all = [...this.series.values()];
    return [
      {
        name: 'supervision_http_requests_total',
        help: 'HTTP requests answered, by method, route template and status',
        type: 'counter',
        samples: all.map((s) => ({ labels: s.labels, value: s.count })),
      },
      {
        name: 'supervision_http_request_duration_seconds',
        help: 'Time from receiving a request to sending its answer, in seconds',
        type: 'histogram',
        samples: all.flatMap((s) => [
          ...durationBuckets.map((le, i) => ({ name: '_bucket', labels: { ...s.labels, le: String(le) }, value: s.buckets[i]! })),
          { name: '_bucket', labels: { ...s.labels, le: '+Inf' }, value: s.count },
          { name: '_sum', labels: s.labels, value: s.sum },
          { name: '_count', labels: s.labels, value: s.count },
        ]),
      },
    ];
  }
}

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const formatValue = (v: number) => (Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v));

/** The Prometheus text exposition format (version 0.0.4) of the given families, in order. */
export function exposition(families: Family[]): string {
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) {
      const labels = Object.entries(s.labels);
      const set = labels.length ? `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : '';
      lines.push(`${f.name}${s.name ?? ''}${set} ${formatValue(s.value)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
