export * from './schemas.js';
export * from './murmur.js';
export * from './evaluator.js';
export * from './states.js';
export * from './ofrep.js';
export { flagSetProblem } from './validate.js';
export { OPERATORS } from './constraints.js';
