#!/usr/bin/env node
/**
 * @module cli/main
 * The `cert-tool` executable: runs the CLI on the process's arguments and
 * sets the exit status.
 */
import { run } from './run.js';

process.exitCode = await run(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  cwd: process.cwd(),
});
