/**
 * The joint law's bootstrap refits on two threads during a report. The fit worker
 * (./group-fitter.ts) fits the groups other than the recommended config's while the main thread,
 * done with its own group, waits for it; the refits are most of that wait (a thousand L-BFGS
 * refits of the Brown ladder's joint law). So the worker sends half of each batch of refits to the
 * main thread, computes the other half, and blocks until the main thread's half comes back.
 *
 * The fitter's code stays synchronous: the worker waits on a shared counter (Atomics.wait) and
 * takes the reply off its port with receiveMessageOnPort, and the main thread answers from its
 * event loop, which is idle while it awaits the worker. Only the worker waits, never the main
 * thread, so neither can wait on the other. Each refit depends on its own subset alone, so the
 * draws, and the report, are the same bytes however the refits are shared out.
 */
import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { refitChinchillaMany, type JointRefit, type JointRefitMany, type JointRefitTask } from '../fit/chinchilla.js';

/** What the worker is given (in its workerData; the port is transferred). */
export interface RefitHelperHandle {
  port: MessagePort;
  /** An Int32Array's buffer: the count of replies sent, which the worker waits on. */
  replies: SharedArrayBuffer;
}

/** Batches smaller than this are not shared (a left-out-run refit comes one at a time). */
const MIN_SHARED = 16;

type Reply = { ok: (JointRefit | null)[] } | { error: string };

/** On the main thread: answer the worker's refit batches from this thread's event loop (`refitted`: how many refits it has made). */
export function startRefitHelper(): { handle: RefitHelperHandle; close(): void; refitted(): number } {
  const { port1, port2 } = new MessageChannel();
  const replies = new SharedArrayBuffer(4);
  const count = new Int32Array(replies);
  let refitted = 0;
  port1.on('message', (task: JointRefitTask) => {
    refitted += task.subsets.length;
    let reply: Reply;
    try {
      reply = { ok: refitChinchillaMany(task) };
    } catch (err) {
      reply = { error: err instanceof Error ? err.message : String(err) };
    }
    port1.postMessage(reply);
    Atomics.add(count, 0, 1);
    Atomics.notify(count, 0);
  });
  // The helper never keeps the process alive on its own.
  port1.unref();
  return { handle: { port: port2, replies }, close: () => port1.close(), refitted: () => refitted };
}

/** In the worker: a refitter that computes the first half of a batch here and the second half on the helper's thread. */
export function sharedRefitter(handle: RefitHelperHandle): JointRefitMany {
  const count = new Int32Array(handle.replies);
  return (task) => {
    if (task.subsets.length < MIN_SHARED) return refitChinchillaMany(task);
    const half = Math.ceil(task.subsets.length / 2);
    const theirs: JointRefitTask = { ...task, subsets: task.subsets.slice(half) };
    const seen = Atomics.load(count, 0);
    handle.port.postMessage(theirs);
    const mine = refitChinchillaMany({ ...task, subsets: task.subsets.slice(0, half) });
    let message: { message: Reply } | undefined;
    // The reply is posted before the count moves, so once it has moved the reply is there; the
    // timeout only bounds a wait whose notification came before it began.
    while (!(message = receiveMessageOnPort(handle.port))) Atomics.wait(count, 0, seen, 100);
    const reply = message.message;
    // A helper that failed costs time, not the result: its half is computed here.
    return [...mine, ...('ok' in reply ? reply.ok : refitChinchillaMany(theirs))];
  };
}
