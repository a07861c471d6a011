import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Names for the JIT-compiled code in a callgrind dump of node. valgrind sees V8's generated
 * code as bare addresses ("0x00000e1c…"); node started with `--perf-basic-prof` writes
 * /tmp/perf-<pid>.map ("start size name" in hex, one line per code object), which turns
 * each address into the JavaScript function it lies in. The result is a dump that
 * callgrind_annotate reads like any other.
 */

interface CodeRange { start: bigint; end: bigint; name: string }

function readPerfMap(path: string): CodeRange[] {
  const ranges: CodeRange[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = /^([0-9a-f]+) ([0-9a-f]+) (.+)$/i.exec(line);
    if (match === null) continue;
    const start = BigInt(`0x${match[1]}`);
    ranges.push({ start, end: start + BigInt(`0x${match[2]}`), name: match[3]! });
  }
  // V8 may reuse an address for newer code: the later line wins, so keep map order for ties.
  return ranges.map((r, i) => ({ r, i })).sort((a, b) => (a.r.start === b.r.start ? a.i - b.i : a.r.start < b.r.start ? -1 : 1)).map(({ r }) => r);
}

function lookup(ranges: CodeRange[], address: bigint): string | undefined {
  let low = 0;
  let high = ranges.length - 1;
  let found = -1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (ranges[mid]!.start <= address) {
      found = mid;
      low = mid + 1;
    } else {
      high = mid - 1;
    }
  }
  // The last range starting at or before the address, if the address is inside it.
  for (let i = found; i >= 0 && i > found - 8; i--) {
    const range = ranges[i]!;
    if (address < range.end) return range.name;
  }
  return undefined;
}

/** Rewrites `dump` into `out`, naming every address that the perf map covers. Returns how many it named. */
export function symbolizeCallgrind(dump: string, perfMap: string, out: string): number {
  const ranges = readPerfMap(perfMap);
  let named = 0;
  const text = readFileSync(dump, 'utf8').replace(/^(c?fn=\(\d+\) )(0x[0-9a-f]+)$/gim, (line, prefix: string, address: string) => {
    const name = lookup(ranges, BigInt(address));
    if (name === undefined) return line;
    named++;
    return `${prefix}${name}`;
  });
  writeFileSync(out, text);
  return named;
}
