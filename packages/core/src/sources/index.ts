export * from './schemas.js';
export * from './order.js';
