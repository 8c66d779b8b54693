/**
 * The production topology, written once: two Temporal server nodes forming one cluster on
 * PostgreSQL, two workers and two API replicas. docker-compose.yml deploys it (one service per
 * process; test/unit/docker-compose.test.ts compares the two) and `npm run stack:cluster` and the
 * cluster tier run it on one machine (scripts/cluster.ts), where every port moves by the node's
 * offset because all processes share 127.0.0.1.
 */

/** The ports of one Temporal server process (all of its services), as in a container of its own. */
export const temporalServicePorts = {
  frontend: { grpc: 7233, membership: 6933, http: 7243 },
  history: { grpc: 7234, membership: 6934 },
  matching: { grpc: 7235, membership: 6935 },
  worker: { grpc: 7239, membership: 6939 },
} as const;

export type TemporalService = keyof typeof temporalServicePorts;

export interface AppProcess {
  /** The compose service name; also the process's name in the local cluster's logs. */
  service: string;
  kind: 'api' | 'worker';
  /** The Temporal node whose frontend it talks to: a node's loss takes down only its half. */
  temporalNode: string;
  /** API replicas: the port published on the host by compose (the container listens on 3000). */
  publishedPort?: number;
}

export const clusterTopology = {
  /** The Temporal server nodes (compose services); each runs frontend, history, matching and worker. */
  temporalNodes: ['temporal', 'temporal-2'],
  /**
   * History shards of the local cluster (fixed when the cluster is first created). Compose takes
   * TEMPORAL_NUM_HISTORY_SHARDS (512 by default) for a province's load.
   */
  localHistoryShards: 4,
  namespace: 'supervision',
  taskQueue: 'integrated-supervision',
  /** The port an API container listens on. */
  apiContainerPort: 3000,
  /**
   * Node's flags for a worker process: the heap cap that, with WORKER_MAX_CACHED_WORKFLOWS, bounds
   * its memory (domain/config.ts; BENCHMARKS.md `bench:open-matters`). `npm run worker` uses the same.
   */
  workerNodeFlags: ['--max-old-space-size=640'],
  apps: [
    { service: 'api', kind: 'api', temporalNode: 'temporal', publishedPort: 3000 },
    { service: 'api-2', kind: 'api', temporalNode: 'temporal-2', publishedPort: 3001 },
    { service: 'worker', kind: 'worker', temporalNode: 'temporal' },
    { service: 'worker-2', kind: 'worker', temporalNode: 'temporal-2' },
  ] satisfies AppProcess[] as AppProcess[],
} as const;

/**
 * Where everything listens in the local cluster, from one base port: PostgreSQL at `base`, node
 * i's services at `base + 10 (i + 1) + k`, the API replicas from `base + 40`.
 */
export interface LocalPorts {
  postgres: number;
  /** By node name: each service's gRPC and membership port, and the frontend's HTTP port. */
  nodes: Record<string, { [S in TemporalService]: { grpc: number; membership: number } } & { frontendHttp: number }>;
  /** By API service name. */
  apis: Record<string, number>;
}

export function localPorts(base: number): LocalPorts {
  const nodes: LocalPorts['nodes'] = {};
  clusterTopology.temporalNodes.forEach((node, i) => {
    const at = base + 10 * (i + 1);
    nodes[node] = {
      frontend: { grpc: at, membership: at + 4 },
      history: { grpc: at + 1, membership: at + 5 },
      matching: { grpc: at + 2, membership: at + 6 },
      worker: { grpc: at + 3, membership: at + 7 },
      frontendHttp: at + 8,
    };
  });
  const apis = Object.fromEntries(clusterTopology.apps.filter((a) => a.kind === 'api').map((a, j) => [a.service, base + 40 + j]));
  return { postgres: base, nodes, apis };
}

export function allLocalPorts(p: LocalPorts): number[] {
  return [
    p.postgres,
    ...Object.values(p.nodes).flatMap((n) => [
      n.frontendHttp,
      ...(Object.keys(temporalServicePorts) as TemporalService[]).flatMap((s) => [n[s].grpc, n[s].membership]),
    ]),
    ...Object.values(p.apis),
  ];
}

/**
 * What an app process gets on top of the settings shared by all four (compose's `x-app-env`):
 * its Temporal frontend and, for an API replica, its port. `frontendAddress` maps a node to the
 * address its frontend has where the process runs (`temporal-2:7233` in compose).
 */
export function appEnvironment(app: AppProcess, at: { frontendAddress(node: string): string; apiPort(app: AppProcess): number }): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: at.frontendAddress(app.temporalNode),
    TEMPORAL_NAMESPACE: clusterTopology.namespace,
    TEMPORAL_TASK_QUEUE: clusterTopology.taskQueue,
    MIGRATE_ON_START: 'false',
    ...(app.kind === 'api' ? { API_PORT: String(at.apiPort(app)) } : {}),
  };
}
