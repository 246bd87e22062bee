export * from './tenants';
export * from './projects';
