// The composition root's entry points: the one place that imports roles,
// storage, HTTP and metrics together. cmd/ calls these and nothing else.
export { runServe } from './serve.js';
export { keygen, init, status, verify, type Io } from './commands.js';
export { backup } from './backup.js';
export { startPrimary, type PrimaryNode, type PrimaryNodeConfig } from './primary.js';
export { startSecondary, type SecondaryNode, type SecondaryNodeConfig } from './secondary.js';
