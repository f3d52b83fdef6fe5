#!/usr/bin/env node
// Entry point of the sigsum-log command: runs cmd/sigsum-log.ts through tsx.
import { register } from 'tsx/esm/api';

register();
await import('../cmd/sigsum-log.ts');
