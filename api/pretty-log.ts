import type { Config } from '../domain/config.js';

/**
 * Readable log lines for a person at a terminal (`npm start`): pino's JSON line
 * `{"level":30,"time":…,"reqId":"…","req":{"method":"GET","url":"/v1/tasks"},"msg":"incoming request"}`
 * becomes `08:41:07.123 INFO  GET /v1/tasks incoming request  (req 5f3c…)`. Production keeps the
 * JSON lines a log collector reads. Only what the JSON line holds is shown (it is already free of
 * keys, bodies and stacks: api/app.ts).
 */

const levelNames: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** Fields the line shows in its own way, or leaves out as noise (pid, hostname). */
const shown = new Set(['level', 'time', 'msg', 'reqId', 'req', 'res', 'responseTime', 'err', 'pid', 'hostname']);

/** The format log lines are written in: LOG_FORMAT, else pretty at a terminal outside production. */
export function logFormat(config: Pick<Config, 'LOG_FORMAT' | 'NODE_ENV'>, isTTY: boolean | undefined): 'json' | 'pretty' {
  return config.LOG_FORMAT ?? (config.NODE_ENV !== 'production' && isTTY ? 'pretty' : 'json');
}

const two = (n: number, width = 2) => String(n).padStart(width, '0');

/** One pino JSON line as a readable line; anything that is not a pino line is returned as it is. */
export function prettyLogLine(line: string): string {
  const text = line.endsWith('\n') ? line.slice(0, -1) : line;
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return text;
  }
  if (!o || typeof o !== 'object' || typeof o.level !== 'number') return text;
  const t = new Date(typeof o.time === 'number' ? o.time : Date.now());
  const parts = [
    `${two(t.getHours())}:${two(t.getMinutes())}:${two(t.getSeconds())}.${two(t.getMilliseconds(), 3)}`,
    (levelNames[o.level] ?? String(o.level)).padEnd(5),
  ];
  const req = o.req as { method?: unknown; url?: unknown } | undefined;
  if (req && typeof req.method === 'string') parts.push(`${req.method} ${String(req.url ?? '')}`);
  const res = o.res as { statusCode?: unknown } | undefined;
  if (res && typeof res.statusCode === 'number') parts.push(String(res.statusCode));
  if (typeof o.responseTime === 'number') parts.push(`${o.responseTime.toFixed(1)} ms`);
  if (typeof o.msg === 'string') parts.push(o.msg);
  const err = o.err as Record<string, unknown> | undefined;
  if (err && typeof err === 'object')
    parts.push(
      `[${Object.entries(err)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ')}]`,
    );
  const rest = Object.entries(o).filter(([k]) => !shown.has(k));
  if (rest.length) parts.push(rest.map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' '));
  if (typeof o.reqId === 'string') parts.push(` (req ${o.reqId.slice(0, 8)})`);
  return parts.join(' ');
}

/** A stream for pino (api/app.ts `logStream`) that writes each JSON line to `out` as a readable one. */
export function prettyLogStream(out: { write(s: string): unknown }): { write(line: string): void } {
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line) out.write(`${prettyLogLine(line)}\n`);
    },
  };
}
