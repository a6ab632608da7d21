export * from './errors';
export * from './config';
export * from './logger';
export * from './crypto';
export * from './events';
