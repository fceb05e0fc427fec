// The Docker HEALTHCHECK runs this every 15 s: import the probe alone, not the kit's index (which loads the
// HTTP server's dependencies), so a probe costs what it did before the kit existed.
import { probe } from '@shipgate/kit/src/healthcheck';

void probe().then((code) => process.exit(code));
