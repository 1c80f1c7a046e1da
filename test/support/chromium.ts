// Where Chromium is for the browser tests: $CHROMIUM_PATH, or Debian's package (`apt-get install -y
// chromium`). Without one the browser tests are skipped and the run says so in one line.
import fs from 'node:fs';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export function chromiumPath(): { path: string | null; why: string } {
  const given = process.env.CHROMIUM_PATH;
  if (given) {
    return fs.existsSync(given)
      ? { path: given, why: '' }
      : { path: null, why: `CHROMIUM_PATH is ${given}, and there is no file there.` };
  }
  const found = CANDIDATES.find((p) => fs.existsSync(p)) ?? null;
  return found
    ? { path: found, why: '' }
    : { path: null, why: `no Chromium found (${CANDIDATES.join(', ')}): apt-get install -y chromium` };
}
