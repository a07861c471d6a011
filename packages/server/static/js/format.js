// Formatting of times, durations and sizes for people.

/** A Date from an ISO string or epoch seconds/milliseconds; null when it is not a time. */
export function toDate(value) {
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value < 1e12 ? value * 1000 : value);
  if (typeof value === 'string' && value !== '') {
    const d = new Date(value);
    return Number.isNaN(d.getTime()) ? null : d;
  }
  return null;
}

/** A local date and time, e.g. "12/05/2025, 14:03:07"; "unknown" for a non-time. */
export function formatTime(value) {
  const d = toDate(value);
  return d === null ? 'unknown' : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

function plural(n, unit) {
  return n + ' ' + unit + (n === 1 ? '' : 's');
}

/** A duration in words, two units at most: "14 min 3 s", "2 days 5 h", "0 s". */
export function formatDuration(ms) {
  let seconds = Math.max(0, Math.floor(ms / 1000));
  const days = Math.floor(seconds / 86400);
  seconds -= days * 86400;
  const hours = Math.floor(seconds / 3600);
  seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  if (days > 0) return plural(days, 'day') + (hours > 0 ? ' ' + hours + ' h' : '');
  if (hours > 0) return hours + ' h' + (minutes > 0 ? ' ' + minutes + ' min' : '');
  if (minutes > 0) return minutes + ' min' + (seconds > 0 ? ' ' + seconds + ' s' : '');
  return seconds + ' s';
}

/** "in 14 min 3 s" or "5 s ago" relative to `now` (ms). */
export function relative(value, now) {
  const d = toDate(value);
  if (d === null) return '';
  const diff = d.getTime() - now;
  return diff >= 0 ? 'in ' + formatDuration(diff) : formatDuration(-diff) + ' ago';
}

/** "1,234 bytes". */
export function formatBytes(n) {
  return n.toLocaleString('en-US') + (n === 1 ? ' byte' : ' bytes');
}

/** A number with thousands separators and at most `digits` decimals. */
export function formatNumber(n, digits) {
  return Number(n).toLocaleString('en-US', { maximumFractionDigits: digits === undefined ? 0 : digits });
}

/** A countdown down to the second: "23 h 59 min 58 s", "14 min 3 s", "29 days 23 h 59 min". */
export function formatCountdown(ms) {
  let seconds = Math.max(0, Math.floor(ms / 1000));
  const days = Math.floor(seconds / 86400);
  seconds -= days * 86400;
  const hours = Math.floor(seconds / 3600);
  seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  if (days > 0) return plural(days, 'day') + ' ' + hours + ' h ' + minutes + ' min';
  if (hours > 0) return hours + ' h ' + minutes + ' min ' + seconds + ' s';
  if (minutes > 0) return minutes + ' min ' + seconds + ' s';
  return seconds + ' s';
}
