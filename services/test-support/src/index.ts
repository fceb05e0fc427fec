export * from './availability';
export * from './postgres';
export * from './process';
export * from './proxy';
export * from './rabbitmq';
export * from './service-process';
