#!/usr/bin/env node
// Entry point: runs the TypeScript sources through tsx's loader so that
// `npm ci && npx burnwatch` works without a build step. `npm run build`
// emits dist/ for packaging; dist/service/cli.js runs with plain node.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../service/cli.ts');
await main(process.argv);
