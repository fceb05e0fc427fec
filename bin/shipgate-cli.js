#!/usr/bin/env node
// Launcher for `npx shipgate …`: runs the TypeScript CLI in this very process (tsx's CommonJS hook, no build
// step, no child process), so signals such as Ctrl-C or an ECS-style SIGTERM reach Shipgate directly.
require('tsx/cjs/api').register();
require('./cli.ts');
