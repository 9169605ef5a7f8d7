#!/usr/bin/env node
// Copies the non-TypeScript files the code reads at run time into dist/
// (window sets, the demo config, package.json for the version), so dist/ runs on its own.
import { cpSync } from 'node:fs';

for (const path of ['slos/windows', 'demo/config', 'package.json']) {
  cpSync(path, `dist/${path}`, { recursive: true });
}
