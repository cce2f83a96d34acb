// The CLI's side of the terminal: the engine's log port on stderr (stdout stays for the report), and colour only
// where a person reads it (a TTY, NO_COLOR unset).
import type { Logger } from '../base/log.js';

export interface Paint {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  blue(text: string): string;
  green(text: string): string;
}

const code = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;
const PLAIN: Paint = { bold: (t) => t, dim: (t) => t, red: (t) => t, yellow: (t) => t, blue: (t) => t, green: (t) => t };
const ANSI: Paint = { bold: code(1, 22), dim: code(2, 22), red: code(31, 39), yellow: code(33, 39), blue: code(34, 39), green: code(32, 39) };

/** Colour for a stream: only a TTY, and never with NO_COLOR set (https://no-color.org) or TERM=dumb. */
export function paintFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): Paint {
  if (!stream.isTTY || env.NO_COLOR !== undefined && env.NO_COLOR !== '' || env.TERM === 'dumb') return PLAIN;
  return ANSI;
}

/** The engine's log lines on stderr: phases as headings, warnings marked; debug only with CODEX_CI_DEBUG. */
export function stderrLogger(env: NodeJS.ProcessEnv, write: (text: string) => void = (t) => void process.stderr.write(t)): Logger {
  const paint = paintFor(process.stderr, env);
  const debug = Boolean(env.CODEX_CI_DEBUG);
  return {
    debug: (message) => debug && write(paint.dim(`debug: ${message}\n`)),
    info: (message) => write(`${message}\n`),
    warning: (message) => write(`${paint.yellow('warning:')} ${message}\n`),
    error: (message) => write(`${paint.red('error:')} ${message}\n`),
    notice: (message) => write(`${message}\n`),
    startGroup: (name) => write(`${paint.bold(`▸ ${name}`)}\n`),
    endGroup: () => {},
  };
}
