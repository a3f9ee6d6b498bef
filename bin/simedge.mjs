#!/usr/bin/env node
// The `simedge` command: registers tsx so the TypeScript sources run as they are, then hands the
// arguments to device-sdk/src/tools/cli.ts (which owns the subcommands, help and exit codes).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../device-sdk/src/tools/cli.ts');
process.exitCode = await main(process.argv.slice(2));
