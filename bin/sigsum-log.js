#!/usr/bin/env node
// Entry point of the sigsum-log command: the compiled program in dist/
// (npm ci, npm pack and npm test build it with `npm run build`).
try {
  await import('../dist/cmd/sigsum-log.js');
} catch (e) {
  if (e?.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes('/dist/cmd/sigsum-log.js')) {
    process.stderr.write(
      'sigsum-log: not built yet: run "npm run build" (npm ci does it) in the sigsum-log directory\n',
    );
    process.exit(1);
  }
  throw e;
}
