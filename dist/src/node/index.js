// The composition root's entry points: the one place that imports roles,
// storage, HTTP and metrics together. cmd/ calls these and nothing else.
export { runServe } from './serve.js';
export { keygen, init, status, verify } from './commands.js';
export { backup } from './backup.js';
export { startPrimary } from './primary.js';
export { startSecondary } from './secondary.js';
