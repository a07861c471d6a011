/** Dispatch of a command group (`tessera user <command>`) to its subcommands. */
import { EXIT, usageError } from './output.js';

/** A subcommand: takes the arguments after its name, returns an exit code. */
export type Subcommand = (argv: string[]) => Promise<number>;

/**
 * Runs `argv[0]` of `group`. `--help` (or `help`) prints the group's usage (exit 0); no
 * subcommand, or an unknown one, is a usage error (exit 2).
 */
export async function runSubcommand(group: string, argv: string[], usage: string, commands: Record<string, Subcommand>): Promise<number> {
  const name = argv[0];
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage}\n`);
    return EXIT.ok;
  }
  if (name === undefined) throw usageError(`"tessera ${group}" needs a command\n\n${usage}`);
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (command === undefined) {
    const shown = name.startsWith('-') ? name.split('=', 1)[0]! : name;
    throw usageError(`unknown command "${group} ${shown.slice(0, 40)}"; commands: ${Object.keys(commands).join(', ')} (see "tessera ${group} --help")`);
  }
  return command(argv.slice(1));
}
