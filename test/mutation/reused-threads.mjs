/**
 * A vitest pool worker for mutation runs that keeps its thread between runs.
 *
 * Stryker runs vitest once per mutant, and vitest ends each run by terminating its worker
 * thread: the next mutant then pays ~300 ms for a new thread, vitest's runtime and every
 * dependency imported again, which was a third of a full `npm run mutate`. This worker parks
 * the thread instead and hands it to the next run, whose context names every module of the
 * project as changed, so vitest evaluates them afresh: each mutant still sees newly evaluated
 * code, and only vitest and node_modules stay loaded. What the process holds (process.env,
 * globalThis) carries over from one run to the next as it already does from one test file to
 * the next within a run (test/mutation/vitest.config.ts runs them without isolation).
 *
 * It speaks vitest's documented custom-pool protocol (`PoolWorker`), answering the `start`
 * and `stop` requests of a parked thread itself: a thread already set up needs no second
 * start, and a thread that stopped would no longer listen.
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

export const POOL_NAME = 'envbuild-reused-threads';

/** Threads parked between runs, ready for the next one. */
const parked = [];
let parking = false;

/**
 * Whether threads are parked at the end of a run. Off, every run gets a new thread (vitest's
 * own behaviour); the mutation runner turns it off for the runs that must start clean.
 */
export function setParking(on) {
  parking = on;
  if (!on) terminateParked();
}

/** Ends every parked thread: the next run starts in a new one. */
export function terminateParked() {
  for (const thread of parked.splice(0)) void thread.terminate();
}

export const reusedThreadsPool = {
  name: POOL_NAME,
  createPoolWorker: (options) => new ReusedThread(options),
};

const projectFiles = new Map();

/**
 * The project's own modules, everything under its root but node_modules (and dot folders):
 * what a kept thread must evaluate again. Recipes count: the runner loads them through vitest.
 */
function ownModules(root) {
  let files = projectFiles.get(root);
  if (!files) {
    files = [];
    const walk = (dir) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
        const p = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(p);
        else if (entry.isFile() && /\.[cm]?[jt]s$/.test(entry.name)) files.push(p);
      }
    };
    walk(root);
    projectFiles.set(root, files);
  }
  return files;
}

class ReusedThread {
  name = POOL_NAME;
  events = new EventEmitter();
  thread = undefined;
  reused = false;
  stopRequested = false;

  constructor(options) {
    this.options = options;
    this.entrypoint = path.resolve(options.distPath, 'workers/threads.js');
    this.stdout = options.project.vitest.logger.outputStream;
    this.stderr = options.project.vitest.logger.errorStream;
  }

  on(event, callback) {
    this.events.on(event, callback);
  }

  off(event, callback) {
    this.events.off(event, callback);
  }

  deserialize(data) {
    return data;
  }

  forwardMessage = (message) => this.events.emit('message', message);
  forwardError = (error) => this.events.emit('error', error);
  forwardExit = (code) => this.events.emit('exit', code);

  reply(type) {
    setImmediate(() => this.events.emit('message', { type, __vitest_worker_response__: true }));
  }

  send(message) {
    if (message?.__vitest_worker_request__ === true) {
      if (message.type === 'start' && this.reused) return this.reply('started');
      if (message.type === 'stop' && parking) {
        // Graceful end of a run: the thread is parked by stop() instead.
        this.stopRequested = true;
        return this.reply('stopped');
      }
      if ((message.type === 'run' || message.type === 'collect') && this.reused) {
        const project = this.options.project;
        message = {
          ...message,
          context: {
            ...message.context,
            // The thread keeps the config it was started with; a run's test filter changes.
            config: project.serializedConfig,
            invalidates: [...(message.context.invalidates ?? []), ...ownModules(project.config.root)],
          },
        };
      }
    }
    this.thread.postMessage(message);
  }

  async start() {
    const thread = parked.pop();
    this.reused = thread !== undefined;
    this.thread =
      thread ??
      new Worker(this.entrypoint, { env: this.options.env, execArgv: this.options.execArgv, stdout: true, stderr: true });
    this.thread.on('message', this.forwardMessage);
    this.thread.on('error', this.forwardError);
    this.thread.on('exit', this.forwardExit);
    this.thread.stdout.pipe(this.stdout, { end: false });
    this.thread.stderr.pipe(this.stderr, { end: false });
  }

  async stop() {
    const thread = this.thread;
    if (!thread) return;
    this.thread = undefined;
    thread.off('message', this.forwardMessage);
    thread.off('error', this.forwardError);
    thread.off('exit', this.forwardExit);
    thread.stdout.unpipe(this.stdout);
    thread.stderr.unpipe(this.stderr);
    // A forced stop (a cancelled or failed task) never asked the thread to stop: its state
    // is unknown, so it ends.
    if (parking && this.stopRequested) parked.push(thread);
    else await thread.terminate();
  }
}
