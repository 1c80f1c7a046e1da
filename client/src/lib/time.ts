// "how long since": the dashboard's last-change column. Pure, so it is unit tested.
const UNITS: [limitSeconds: number, unitSeconds: number, name: string][] = [
  [60 * 60, 60, 'min'],
  [24 * 60 * 60, 60 * 60, 'h'],
  [30 * 24 * 60 * 60, 24 * 60 * 60, 'd'],
  [365 * 24 * 60 * 60, 30 * 24 * 60 * 60, 'mo'],
  [Infinity, 365 * 24 * 60 * 60, 'y'],
];

/** "just now", "5 min ago", "3 h ago", "2 d ago"… for a moment before `now`. */
export function since(iso: string, now: number = Date.now()): string {
  const seconds = Math.max(0, (now - Date.parse(iso)) / 1000);
  if (seconds < 60) return 'just now';
  for (const [limit, unit, name] of UNITS) {
    if (seconds < limit) return `${Math.floor(seconds / unit)} ${name} ago`;
  }
  return 'long ago';
}

/** A moment as the worker's locale writes it, for tooltips and history. */
export function when(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
