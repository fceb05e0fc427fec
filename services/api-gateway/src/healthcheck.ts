import { probe } from './lib/healthcheck';

void probe().then((code) => process.exit(code));
