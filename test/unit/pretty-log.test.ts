/**
 * `npm start` prints readable log lines (issue 15 §2); production keeps pino's JSON lines. The
 * lines formatted here are the ones the app itself writes (a request no route serves: it touches
 * neither PostgreSQL nor Temporal, so the pool and the client below are never used).
 */
import { Client } from '@temporalio/client';
import { describe, expect, test } from 'vitest';
import { buildApp } from '../../api/app.js';
import { logFormat, prettyLogLine, prettyLogStream } from '../../api/pretty-log.js';
import { createPool } from '../../db/pool.js';
import { testConfig } from '../helpers/config.js';

describe('logFormat', () => {
  test('LOG_FORMAT wins; otherwise pretty only at a terminal outside production', () => {
    expect(logFormat({ LOG_FORMAT: 'json', NODE_ENV: 'development' }, true)).toBe('json');
    expect(logFormat({ LOG_FORMAT: 'pretty', NODE_ENV: 'production' }, false)).toBe('pretty');
    expect(logFormat({ NODE_ENV: 'development' }, true)).toBe('pretty');
    expect(logFormat({ NODE_ENV: 'development' }, false)).toBe('json');
    expect(logFormat({ NODE_ENV: 'production' }, true)).toBe('json');
  });
});

describe('prettyLogLine', () => {
  test('the app’s own request lines become one readable line each: time, level, method and URL, status, duration, request id', async () => {
    const json: string[] = [];
    const pretty: string[] = [];
    const fan = prettyLogStream({ write: (s: string) => void pretty.push(s) });
    const config = testConfig({ LOG_LEVEL: 'info' });
    const app = await buildApp({
      config,
      pool: createPool({ ...config, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }),
      temporal: new Client(),
      logStream: {
        write: (line: string) => {
          json.push(line);
          fan.write(line);
        },
      },
    });
    const res = await app.inject({ method: 'GET', url: '/nowhere', headers: { 'x-request-id': 'req-0123456789' } });
    await app.close();
    expect(res.statusCode).toBe(404);
    const incoming = json.map((l) => JSON.parse(l) as { msg: string }).findIndex((o) => o.msg === 'incoming request');
    const completed = json.map((l) => JSON.parse(l) as { msg: string }).findIndex((o) => o.msg === 'request completed');
    expect(pretty[incoming]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}GET \/nowhere incoming request {2}\(req req-0123\)\n$/);
    expect(pretty[completed]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}404 \d+\.\d ms request completed {2}\(req req-0123\)\n$/);
    expect(pretty.every((l) => !l.startsWith('{'))).toBe(true);
  });

  test('an error shows its kind and code; other fields as key=value; what is not a pino line passes through', () => {
    const line = JSON.stringify({
      level: 50,
      time: Date.UTC(2026, 11, 7, 1, 2, 3, 4),
      msg: 'failed',
      err: { type: 'DatabaseError', code: '57014' },
      route: 'x',
    });
    expect(prettyLogLine(line)).toMatch(/^\d\d:\d\d:\d\d\.004 ERROR failed \[type=DatabaseError code=57014\] route=x$/);
    expect(prettyLogLine('worker: task queue q on 127.0.0.1:7233')).toBe('worker: task queue q on 127.0.0.1:7233');
    expect(prettyLogLine('{"not":"pino"}')).toBe('{"not":"pino"}');
  });
});
