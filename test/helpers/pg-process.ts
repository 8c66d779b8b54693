/**
 * An embedded PostgreSQL in a process of its own (scripts/pg-server.ts; see there why not in the
 * test process): started on a data directory and port, stopped with SIGTERM. The run's server
 * (global-setup.ts) and the outage test's private one are both started here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export interface PostgresProcess {
  /** Admin URL (database `postgres`). */
  url: string;
  child: ChildProcess;
  /** Stops the server and waits for the process to end. */
  stop(): Promise<void>;
}

/** Resolves once the server prints `ready <url>`; `persistent` keeps the data directory across stops. */
export function startPostgresProcess(dataDir: string, port: number, opts: { persistent?: boolean } = {}): Promise<PostgresProcess> {
  const args = [
    '--import',
    'tsx',
    path.join(import.meta.dirname, '../../scripts/pg-server.ts'),
    dataDir,
    String(port),
    ...(opts.persistent ? ['--persistent'] : []),
  ];
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
  };
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const m = /^ready (\S+)$/m.exec(output);
      if (m) resolve({ url: m[1]!, child, stop });
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.once('exit', (code) => reject(new Error(`embedded PostgreSQL exited (${code}) before it was ready:\n${output.slice(-2000)}`)));
  });
}
