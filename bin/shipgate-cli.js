#!/usr/bin/env node
// Launcher for `npx shipgate …`: runs the TypeScript CLI in this very process (tsx's CommonJS hook, no build
// step, no child process), so signals such as Ctrl-C or an ECS-style SIGTERM reach Shipgate directly.
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  // One line that says what to do, instead of the AWS SDK's nine-line NodeVersionSupportWarning on every
  // client (README, "Node.js").
  process.stderr.write(
    `shipgate: Node.js ${process.versions.node} is not supported (Shipgate needs Node.js 22 or newer, like its Lambdas). ` +
      'In the repository, `export PATH="$(bash .ci/node22):$PATH"` installs Node.js 22 from the npm registry.\n',
  );
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}
require('tsx/cjs/api').register();
require('./cli.ts');
