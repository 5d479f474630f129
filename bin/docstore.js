#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so that `docstore` works from a checkout without a build step.
import { register } from 'tsx/esm/api';

// The AWS SDK warns on first use that its future releases need Node 22; docstore pins its SDK
// version, so the warning says nothing an operator can act on.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

register();
await import('../src/cli/main.ts');
