#!/usr/bin/env node
// The `codex-ci` command: main() and the exit code, nothing else.
import { main } from './main.js';

process.exitCode = await main({ argv: process.argv.slice(2), env: process.env, cwd: process.cwd(), stdout: process.stdout, stderr: process.stderr });
