#!/usr/bin/env node
// Entry for `npx meshgate` and the npm scripts: the CLI is TypeScript run by Node's type stripping.
import { enableCompileCache } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// V8's compile cache, shared with the workloads: a later run neither parses nor strips the harness
// again (about a third of its start-up). Enabled before the CLI is imported, so all of it is cached.
enableCompileCache(process.env.NODE_COMPILE_CACHE ?? join(tmpdir(), 'meshgate-compile-cache'));
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
