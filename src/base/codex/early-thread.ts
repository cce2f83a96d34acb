// Starts the run's app-server and its first thread in the background, so they come up while the job is still
// reading GitHub (a thread needs its instructions, not the data the first turn will carry).
import type { CodexSession } from './session.js';

/** An app-server and its first thread, coming up in the background. */
export interface EarlyThread<T> {
  /** The session; rejects when the app-server could not be opened (its error, as `openSession` threw it). */
  session: Promise<CodexSession>;
  /** The thread; rejects when the app-server or the thread could not be started. */
  thread: Promise<T>;
  /** Closes the app-server once (later calls wait for the same close); nothing to do when it never opened. */
  close(): Promise<void>;
}

/** Opens a session with `open` and starts (or resumes) a thread on it with `start`, without waiting for either. */
export function startEarlyThread<T>(open: () => Promise<CodexSession>, start: (session: CodexSession) => Promise<T>): EarlyThread<T> {
  const session = open();
  const thread = session.then(start);
  // Awaited by the job when it needs the thread, or never (a run that turns out to have nothing to do): a failure
  // must not count as unhandled meanwhile.
  session.catch(() => {});
  thread.catch(() => {});
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= session.then(
      // The thread's start is awaited first: closing under a starting thread would only turn its answer into noise.
      (s) => thread.then(noop, noop).then(() => s.close()),
      noop,
    ));
  return { session, thread, close };
}

function noop(): void {}
