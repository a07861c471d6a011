/**
 * Reads one line from stdin: the way secrets reach the CLI (`--password-stdin`), never a flag,
 * which would land in shell history and in `ps`. From a pipe or a file the first line is read
 * (a trailing `\r\n` or `\n` removed, nothing else touched); from a terminal the line is read
 * without echo.
 */
import { CliError, EXIT } from './output.js';

/** Longest line accepted: far beyond any password policy, short of a runaway pipe. */
const MAX_LINE_CHARS = 4096;

/** Reads one line from `stdin` (process.stdin by default). */
export function readStdinLine(prompt: string, stdin: NodeJS.ReadStream = process.stdin): Promise<string> {
  return stdin.isTTY ? readHidden(prompt, stdin) : readPiped(stdin);
}

function tooLong(): CliError {
  return new CliError(EXIT.usage, `the line read from stdin is longer than ${MAX_LINE_CHARS} characters`);
}

function readPiped(stdin: NodeJS.ReadStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const finish = (error: Error | null, line?: string) => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.off('error', onError);
      stdin.destroy();
      if (error) reject(error);
      else resolve(line!.replace(/\r$/, ''));
    };
    const onData = (chunk: string) => {
      buffer += chunk;
      const end = buffer.indexOf('\n');
      if (end >= 0) finish(null, buffer.slice(0, end));
      else if (buffer.length > MAX_LINE_CHARS) finish(tooLong());
    };
    const onEnd = () => finish(null, buffer);
    const onError = (error: Error) => finish(error);
    stdin.setEncoding('utf8');
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.on('error', onError);
  });
}

function readHidden(prompt: string, stdin: NodeJS.ReadStream): Promise<string> {
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let line = '';
    const finish = (error: Error | null) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(line);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish(null);
        if (ch === '\u0003') return finish(new CliError(EXIT.failure, 'cancelled'));
        if (ch === '\u007f' || ch === '\b') line = [...line].slice(0, -1).join('');
        else line += ch;
        if (line.length > MAX_LINE_CHARS) return finish(tooLong());
      }
    };
    stdin.setEncoding('utf8');
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}
