/**
 * A short, human label for the devices list ("Firefox on Linux"), from User-Agent. Only a
 * label: never used for security decisions, and capped so a huge header cannot bloat rows.
 */
const BROWSERS: ReadonlyArray<[RegExp, string]> = [
  [/Edg\//, 'Edge'], [/OPR\//, 'Opera'], [/Firefox\//, 'Firefox'], [/Chrome\//, 'Chrome'],
  [/Safari\//, 'Safari'], [/curl\//, 'curl'], [/node|undici/i, 'Node.js'],
];
const SYSTEMS: ReadonlyArray<[RegExp, string]> = [
  [/Android/, 'Android'], [/iPhone|iPad|iOS/, 'iOS'], [/Windows/, 'Windows'], [/Mac OS X|Macintosh/, 'macOS'],
  [/Linux/, 'Linux'],
];

/** Describes a User-Agent header in a few words (at most 64 characters). */
export function describeDevice(userAgent: string | undefined): string {
  if (!userAgent) return 'Unknown device';
  const browser = BROWSERS.find(([re]) => re.test(userAgent))?.[1];
  const system = SYSTEMS.find(([re]) => re.test(userAgent))?.[1];
  if (browser && system) return `${browser} on ${system}`;
  return (browser ?? system ?? userAgent.replace(/[^\x20-\x7e]/g, '')).slice(0, 64) || 'Unknown device';
}
