/**
 * Writes the prebuilt workflow bundle the production worker loads (WORKFLOW_BUNDLE_PATH):
 * `npm run build:workflows [-- <out> [--tracing]]`; with `--tracing` the OpenTelemetry workflow
 * interceptors are in it (worker/worker.ts), for a worker that traces (worker/tracing.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflows } from '../worker/worker.js';

const args = process.argv.slice(2);
const tracing = args.includes('--tracing');
const out = args.find((a) => !a.startsWith('--')) ?? 'dist/workflow-bundle.js';
const bundle = await bundleWorkflows({ tracing });
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, bundle.code);
process.stdout.write(`workflow bundle: ${out} (${Math.round(bundle.code.length / 1024)} KiB${tracing ? ', with the tracing interceptors' : ''})\n`);
