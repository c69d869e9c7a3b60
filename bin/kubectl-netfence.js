#!/usr/bin/env node
// `kubectl netfence …`: kubectl runs any executable named kubectl-<plugin> on the PATH
// (a global npm install puts this one there); it is the netfence command itself.
import { main } from "../dist/cli/index.js";

process.exitCode = await main(process.argv.slice(2));
