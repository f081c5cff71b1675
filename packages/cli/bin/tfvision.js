#!/usr/bin/env node
// The package's bin points here, not at dist/bin.js: npm links bins during `npm ci`, before the
// workspace is built, and skips a bin whose file does not exist yet, so `npx tfvision` in a
// fresh clone would find nothing. This file is in the source tree; it loads the built CLI.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const built = new URL('../dist/bin.js', import.meta.url);
if (!existsSync(fileURLToPath(built))) {
  process.stderr.write(
    `tfvision: the CLI is not built (${fileURLToPath(built)} is missing); run \`npm run build\` at the repository root first\n`,
  );
  process.exit(1);
}
await import(built.href);
