export * from './common';
export * from './lookups';
export * from './tenants';
export * from './catalogue';
export * from './robots';
export * from './audit';
export * from './webhooks';
export * from './model-overrides';
