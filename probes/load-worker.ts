/**
 * Worker-thread entry of a probe run: builds an `Engine` from `workerData`,
 * reports `ready`, starts on the controller's `start`, and forwards its
 * partials. Started by `run.ts` through `startWorker` (common/worker.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { errorMessage } from '../common/errors.ts';
import { Engine } from './engine.ts';
import type { FromWorker, ToWorker, WorkerInit } from './protocol.ts';

const port = parentPort;
if (!port) throw new Error('load-worker.ts must run in a worker thread');

const post = (msg: FromWorker): void => port.postMessage(msg);

try {
  const engine = new Engine(workerData as WorkerInit, (msg) => {
    post(msg);
    if (msg.type === 'done') void engine.close();
  });
  port.on('message', (msg: ToWorker) => {
    try {
      if (msg.type === 'start') engine.start(msg.startAt);
      else engine.stop(msg.hard);
    } catch (err) {
      post({ type: 'fatal', message: errorMessage(err) });
    }
  });
  await engine.warmUp();
  post({ type: 'ready' });
} catch (err) {
  post({ type: 'fatal', message: errorMessage(err) });
}
