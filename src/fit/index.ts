/** The fitting engine: pure functions from points or runs to fits, intervals and predictions. */
export * from './types.js';
export * from './stats.js';
export * from './resample.js';
export * from './powerlaw.js';
export * from './steps.js';
export * from './saturating.js';
export * from './slopes.js';
export * from './chinchilla.js';
export * from './compare.js';
export * from './suite.js';
export * from './predict.js';
