#!/usr/bin/env node
// Entry point: runs the TypeScript sources through tsx's loader so that
// `npm ci && npx burnwatch` works without a build step. `npm run build`
// emits dist/; `node dist/service/cli.js` runs it with plain node.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../service/cli.ts');
await main(process.argv);
// Every command has finished its work (a server has closed, a run has
// written its summary): exit now rather than wait for stray handles such as
// an exporter's socket still in its own timeout.
process.exit(process.exitCode ?? 0);
