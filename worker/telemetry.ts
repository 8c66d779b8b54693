import { DefaultLogger, Runtime, type LogLevel, type RuntimeOptions } from '@temporalio/worker';

/**
 * The Temporal SDK's own metrics (workflow and activity task latencies, slots, polls, sticky cache,
 * failures…) served by the SDK's Prometheus exporter at `http://<address>/metrics`, a port of the
 * worker process's own. Prometheus's conventions: counters end in `_total`, durations are seconds
 * with the unit in the name (`temporal_activity_execution_latency_seconds`).
 */
export function workerRuntimeOptions(metricsAddress: string | undefined, logLevel?: LogLevel): RuntimeOptions {
  return {
    ...(logLevel ? { logger: new DefaultLogger(logLevel) } : {}),
    ...(metricsAddress
      ? {
          telemetryOptions: {
            metrics: { prometheus: { bindAddress: metricsAddress, countersTotalSuffix: true, unitSuffix: true, useSecondsForDurations: true } },
          },
        }
      : {}),
  };
}

/**
 * Installs the process's Temporal Runtime with the metrics exporter when WORKER_METRICS_ADDRESS is
 * set. Must run before the first connection is made: the Runtime is created once per process.
 */
export function installWorkerRuntime(metricsAddress: string | undefined): void {
  if (metricsAddress) Runtime.install(workerRuntimeOptions(metricsAddress));
}
