#!/usr/bin/env node
import module from 'node:module';

// Node 22.1+ caches compiled code between runs, which shortens every start; Node 20 has no such cache.
module.enableCompileCache?.();
await import('../dist/cli.js');
