#!/usr/bin/env node
// Entry for `npx meshgate`: the CLI is TypeScript run by Node's type stripping.
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
