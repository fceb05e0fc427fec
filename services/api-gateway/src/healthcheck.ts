import { probe } from '@shipgate/kit';

void probe().then((code) => process.exit(code));
