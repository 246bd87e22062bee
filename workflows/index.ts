export * from './tenants';
export * from './projects';
export * from './repositories';
export * from './inbox';
export * from './refresh';
export * from './membership';
export * from './robots';
export * from './models';
