#!/usr/bin/env node
// Entry point of the `rcabot` command: the compiled CLI (built by `npm ci` through the prepare script).
import '../dist/cli.js';
