/** A worker for worker.test.ts: answers its workerData with a sibling module's help and a package's. */
import { parentPort, workerData } from 'node:worker_threads';
import { z } from 'zod';
import { formatDuration } from './duration.ts';

parentPort!.postMessage({ echo: z.string().parse(workerData), took: formatDuration(1500) });
