#!/usr/bin/env node
// Thin launcher so `npx shipgate …` runs the TypeScript CLI through tsx without a build step.
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const cli = path.join(__dirname, 'cli.ts');
const tsx = require.resolve('tsx/cli');
const r = spawnSync(process.execPath, [tsx, cli, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status === null ? 1 : r.status);
