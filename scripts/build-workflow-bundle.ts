/** Writes the prebuilt workflow bundle the production worker loads (WORKFLOW_BUNDLE_PATH). */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflows } from '../worker/worker.js';

const out = process.argv[2] ?? 'dist/workflow-bundle.js';
const bundle = await bundleWorkflows();
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, bundle.code);
process.stdout.write(`workflow bundle: ${out} (${Math.round(bundle.code.length / 1024)} KiB)\n`);
