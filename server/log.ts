// Log lines that may repeat many times a second (a database that is away, a relay retrying) are
// written once, then at most once per interval with how many were left out in between.
const last = new Map<string, { at: number; suppressed: number }>();

export function logRateLimited(
  key: string,
  line: string,
  everyMs = 10_000,
  write: (l: string) => void = (l) => process.stderr.write(`${l}\n`),
): void {
  const now = Date.now();
  const seen = last.get(key);
  if (seen && now - seen.at < everyMs) {
    seen.suppressed++;
    return;
  }
  write(seen?.suppressed ? `${line} (and ${seen.suppressed} more like it since)` : line);
  last.set(key, { at: now, suppressed: 0 });
}
