// Imported first by main.ts, so that it runs before any other module: see heap-flags.ts.
import { restartWithHeapFlags } from './heap-flags.js';

restartWithHeapFlags();
