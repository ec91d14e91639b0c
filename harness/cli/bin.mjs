#!/usr/bin/env node
// The package bin. The project runs its TypeScript through tsx's loader (no build step), so
// that `handoff` can also import module files given by path at runtime.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
