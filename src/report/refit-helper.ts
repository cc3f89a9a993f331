/**
 * The joint law's bootstrap refits on two threads during a report. The fit worker
 * (./group-fitter.ts) fits the groups other than the recommended config's while the main thread
 * works on that config's analysis and then waits; the refits (a thousand refits of the
 * Brown ladder's joint law) are most of the worker's work. So the worker offers each batch of
 * refits to the main thread as well: the batch is cut into chunks, and each thread claims the next
 * chunk from a shared counter (Atomics.add) until none is left. The main thread claims chunks from
 * when its event loop is free until the batch is done; one that is busy throughout claims none.
 *
 * The fitter's code stays synchronous: the worker takes the main thread's chunks off its port with
 * receiveMessageOnPort, waiting on a shared count of them (Atomics.wait), while the main thread
 * answers from its event loop. Only the worker waits, never the main thread, so neither can wait
 * on the other. Each refit depends on its own subset alone, so the draws, and the report, are the
 * same bytes however the chunks fall.
 */
import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
// Types only: the main thread starts the helper before it loads the fitters (./threads.ts).
import type { JointRefit, JointRefitMany, JointRefitTask } from '../fit/chinchilla.js';

/** What the worker is given (in its workerData; the port is transferred). */
export interface RefitHelperHandle {
  port: MessagePort;
}

/** Refits a claim takes (about 10 ms of work): small enough to balance, large enough that claiming costs nothing. */
const CHUNK = 16;

/** A batch as offered: the task, and its counters (next chunk to claim; chunks the helper has sent back). */
interface Offer {
  task: JointRefitTask;
  counters: SharedArrayBuffer;
}

const NEXT = 0;
const SENT = 1;

interface ChunkReply {
  chunk: number;
  /** null when the helper failed on this chunk: the worker computes it (and meets the error itself). */
  refits: (JointRefit | null)[] | null;
}

function chunkOf(task: JointRefitTask, chunk: number): JointRefitTask {
  return { ...task, subsets: task.subsets.slice(chunk * CHUNK, (chunk + 1) * CHUNK) };
}

/** On the main thread: claim chunks of each batch the worker offers (`refitted`: how many refits this thread made). */
export function startRefitHelper(): { handle: RefitHelperHandle; close(): void; refitted(): number } {
  const { port1, port2 } = new MessageChannel();
  let refitted = 0;
  port1.on('message', async ({ task, counters }: Offer) => {
    // Loaded by then on every path (the report imports the fitters long before the worker offers).
    const { refitChinchillaMany } = await import('../fit/chinchilla.js');
    const count = new Int32Array(counters);
    const chunks = Math.ceil(task.subsets.length / CHUNK);
    for (let chunk = Atomics.add(count, NEXT, 1); chunk < chunks; chunk = Atomics.add(count, NEXT, 1)) {
      let reply: ChunkReply;
      try {
        const part = chunkOf(task, chunk);
        reply = { chunk, refits: refitChinchillaMany(part) };
        refitted += part.subsets.length;
      } catch {
        reply = { chunk, refits: null };
      }
      port1.postMessage(reply);
      Atomics.add(count, SENT, 1);
      Atomics.notify(count, SENT);
    }
  });
  // The helper never keeps the process alive on its own.
  port1.unref();
  return { handle: { port: port2 }, close: () => port1.close(), refitted: () => refitted };
}

/** In the worker: a refitter that shares each batch, chunk by chunk, with the helper's thread; `refitChinchillaMany` is the fitters' own (passed in, so that this module loads none). */
export function sharedRefitter(handle: RefitHelperHandle, refitChinchillaMany: JointRefitMany): JointRefitMany {
  return (task) => {
    const chunks = Math.ceil(task.subsets.length / CHUNK);
    if (chunks < 2) return refitChinchillaMany(task);
    const counters = new SharedArrayBuffer(8);
    const count = new Int32Array(counters);
    handle.port.postMessage({ task, counters } satisfies Offer);
    const done: ((JointRefit | null)[] | null)[] = new Array(chunks).fill(null);
    let mine = 0;
    for (let chunk = Atomics.add(count, NEXT, 1); chunk < chunks; chunk = Atomics.add(count, NEXT, 1)) {
      done[chunk] = refitChinchillaMany(chunkOf(task, chunk));
      mine++;
    }
    // Every chunk is claimed; wait for those the helper claimed. A reply is posted before the count
    // of sent replies moves, so once it has moved the reply is there; the timeout only bounds a
    // wait whose notification came before it began.
    for (let received = 0; received < chunks - mine; ) {
      const message = receiveMessageOnPort(handle.port) as { message: ChunkReply } | undefined;
      if (!message) {
        Atomics.wait(count, SENT, received, 100);
        continue;
      }
      const { chunk, refits } = message.message;
      // A chunk the helper failed on costs time, not the result: it is computed here.
      done[chunk] = refits ?? refitChinchillaMany(chunkOf(task, chunk));
      received++;
    }
    return done.flatMap((refits) => refits!);
  };
}
