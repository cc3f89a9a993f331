/**
 * One request at a time to a worker thread, with the same function on this thread as the
 * fallback: `startWorkerCalls` on the calling side, `serveCalls` in the worker's entry module.
 * A worker that cannot start, or dies, is replaced by the in-process function, so a result never
 * depends on whether a worker ran (the report's chart rendering and group fits use it to overlap
 * work on a second core).
 */
import { parentPort, Worker, type WorkerOptions } from 'node:worker_threads';
import { workerScript } from './worker-script.js';

export interface WorkerCalls<Req, Res> {
  /** The worker's answer to `request`, or the in-process function's where no worker runs. */
  call(request: Req): Promise<Res>;
  /** Stop the worker (idempotent); later calls run in-process. */
  close(): Promise<void>;
}

type Reply<Res> = { ok: Res } | { error: string };

/**
 * Start the worker whose entry is the module `name` beside `callerUrl` (see workerScript), with
 * `workerData` (and `transferList`: what it moves rather than copies); with `inProcess: true`, or
 * where it cannot start, every call runs `fallback` on this thread.
 */
export function startWorkerCalls<Req, Res>(
  callerUrl: string,
  name: string,
  fallback: (request: Req) => Promise<Res>,
  options: { inProcess?: boolean; workerData?: unknown; transferList?: Transferable[] } = {},
): WorkerCalls<Req, Res> {
  let worker: Worker | null = null;
  if (!options.inProcess) {
    try {
      const { script, options: workerOptions } = workerScript(callerUrl, name);
      worker = new Worker(script, { ...workerOptions, workerData: options.workerData, transferList: options.transferList as WorkerOptions['transferList'] });
      // A worker never keeps the process alive on its own; close() ends it on every normal path.
      worker.unref();
    } catch {
      worker = null;
    }
  }
  const w = worker;
  if (!w) return { call: fallback, close: async () => {} };
  let dead = false;
  let closed = false;
  let pending: { resolve: (r: Res) => void; reject: (err: Error) => void } | null = null;
  const die = (err: Error) => {
    dead = true;
    pending?.reject(err);
    pending = null;
  };
  w.on('error', (err) => die(err instanceof Error ? err : new Error(String(err))));
  w.on('exit', (code) => die(new Error(`the ${name} worker exited with code ${code}`)));
  w.on('message', (reply: Reply<Res>) => {
    const p = pending;
    pending = null;
    if (!p) return;
    if ('error' in reply) p.reject(new Error(reply.error));
    else p.resolve(reply.ok);
  });
  return {
    call(request) {
      if (dead || closed) return fallback(request);
      if (pending) return Promise.reject(new Error(`the ${name} worker takes one request at a time`));
      return new Promise<Res>((resolve, reject) => {
        pending = { resolve, reject };
        w.postMessage(request);
      }).catch((err: Error) => {
        // A worker that died (not one that reported an error of the work itself) is replaced by this thread.
        if (dead) return fallback(request);
        throw err;
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      w.removeAllListeners('exit');
      await w.terminate();
    },
  };
}

/** In a worker's entry: answer each request with `handler`, an error as its message. */
export function serveCalls<Req, Res>(handler: (request: Req) => Promise<Res>): void {
  const port = parentPort;
  if (!port) throw new Error('serveCalls runs in a worker thread');
  port.on('message', async (request: Req) => {
    try {
      port.postMessage({ ok: await handler(request) } satisfies Reply<Res>);
    } catch (err) {
      port.postMessage({ error: err instanceof Error ? err.message : String(err) } satisfies Reply<Res>);
    }
  });
}
