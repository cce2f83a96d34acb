// The CLI's entry: flags → command → engine → terminal, and the one place errors become an exit code.
import { CODEX_VERSION } from '../base/codex/install.js';
import { redact } from '../base/text/redact.js';
import { setLogger } from '../base/log.js';
import { TOOL_VERSION } from '../base/version.js';
import { parseCommand, UsageError } from './args.js';
import { SetupError } from './context.js';
import { fixCommand } from './fix-command.js';
import { helpText } from './help.js';
import { EXIT, type CliIo } from './io.js';
import { reviewCommand } from './review-command.js';
import { stderrLogger } from './terminal.js';
import { LocalChangeError } from '../modes/review/gather/local.js';

/** Runs one CLI invocation; returns its exit code. Never throws. */
export async function main(io: CliIo): Promise<number> {
  setLogger(stderrLogger(io.env, (text) => void io.stderr.write(text)));
  let secrets: string[] = [];
  try {
    const command = parseCommand(io.argv);
    secrets = [io.env.OPENAI_API_KEY, io.env.CODEX_API_KEY, io.env.GITHUB_TOKEN, io.env.GH_TOKEN].filter((s): s is string => Boolean(s));
    switch (command.command) {
      case 'help':
        io.stdout.write(helpText(command.topic));
        return EXIT.ok;
      case 'version':
        io.stdout.write(`codex-ci ${TOOL_VERSION} (Codex CLI ${CODEX_VERSION})\n`);
        return EXIT.ok;
      case 'review':
        return await reviewCommand(command, io);
      case 'fix':
        return await fixCommand(command, io);
    }
  } catch (error) {
    const message = redact(error instanceof Error ? error.message : String(error), secrets);
    if (error instanceof UsageError) {
      io.stderr.write(`codex-ci: ${message}\nRun 'codex-ci --help' for usage.\n`);
      return EXIT.usage;
    }
    if (error instanceof SetupError || error instanceof LocalChangeError) {
      io.stderr.write(`codex-ci: ${message}\n`);
      return EXIT.usage;
    }
    io.stderr.write(`codex-ci: ${message}\n`);
    if (io.env.CODEX_CI_DEBUG && error instanceof Error && error.stack) io.stderr.write(`${redact(error.stack, secrets)}\n`);
    return EXIT.failed;
  }
}
