export * from './errors';
export * from './config';
export * from './logger';
export * from './crypto';
export * from './events';
export * from './metrics';
export * from './health';
export * from './role';
