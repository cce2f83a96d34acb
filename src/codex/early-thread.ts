// Starts the run's app-server and its first thread in the background, so they come up while the job is still
// reading GitHub (a thread needs its instructions, not the data the first turn will carry).
import type { Thread, ThreadOptions } from './app-server.js';
import type { CodexSession } from './session.js';

/** An app-server and its first thread, coming up in the background. */
export interface EarlyThread {
  /** The thread; rejects when the app-server or the thread could not be started. */
  thread: Promise<Thread>;
  /** Closes the app-server once (later calls wait for the same close); nothing to do when it never opened. */
  close(): Promise<void>;
}

/** Opens a session with `open` and starts a thread on it, without waiting for either. */
export function startEarlyThread(open: () => Promise<CodexSession>, options: ThreadOptions): EarlyThread {
  const opening = open();
  const thread = opening.then((session) => session.server.startThread(options));
  // Awaited by the job when it needs the thread, or never (a run that turns out to have nothing to do): a failure
  // must not count as unhandled meanwhile.
  opening.catch(() => {});
  thread.catch(() => {});
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= opening.then(
      (session) => session.close(),
      () => undefined,
    ));
  return { thread, close };
}
