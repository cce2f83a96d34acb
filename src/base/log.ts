// The engine's one way to tell whoever runs it what is happening: a port. The Action plugs @actions/core in
// (workflow commands: groups, annotations), the CLI plugs in stderr; the engine never imports either.

/** Where an annotation points: a file and lines of the head (workflow annotations; a terminal may print them). */
export interface AnnotationProperties {
  title?: string;
  file?: string;
  startLine?: number;
  endLine?: number;
}

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string, where?: AnnotationProperties): void;
  error(message: string, where?: AnnotationProperties): void;
  notice(message: string, where?: AnnotationProperties): void;
  /** Opens a foldable section; `endGroup` closes the innermost one. */
  startGroup(name: string): void;
  endGroup(): void;
}

/** Until a shell plugs in its own: plain lines on stderr, debug dropped (stdout is left to what a command prints). */
const STDERR: Logger = {
  debug: () => {},
  info: (message) => process.stderr.write(`${message}\n`),
  warning: (message) => process.stderr.write(`warning: ${message}\n`),
  error: (message) => process.stderr.write(`error: ${message}\n`),
  notice: (message) => process.stderr.write(`${message}\n`),
  startGroup: (name) => process.stderr.write(`${name}\n`),
  endGroup: () => {},
};

let current: Logger = STDERR;

/** Plugs a shell's logger in; returns the one it replaces (tests put it back). */
export function setLogger(logger: Logger): Logger {
  const previous = current;
  current = logger;
  return previous;
}

/** What the engine calls; each call goes to the logger plugged in at that moment. */
export const log = {
  debug: (message: string) => current.debug(message),
  info: (message: string) => current.info(message),
  warning: (message: string, where?: AnnotationProperties) => current.warning(message, where),
  error: (message: string, where?: AnnotationProperties) => current.error(message, where),
  notice: (message: string, where?: AnnotationProperties) => current.notice(message, where),
  startGroup: (name: string) => current.startGroup(name),
  endGroup: () => current.endGroup(),
  /** Runs `fn` inside a group that closes however it ends. */
  async group<T>(name: string, fn: () => Promise<T>): Promise<T> {
    current.startGroup(name);
    try {
      return await fn();
    } finally {
      current.endGroup();
    }
  },
};
