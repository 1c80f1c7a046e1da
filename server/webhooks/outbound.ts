// Where Orchestra may send requests on an integrator's behalf. A webhook URL is typed by an integrator
// key; without a guard it could make the server POST into its own network (its database, a cloud
// metadata address, an admin page on localhost). In production the guard refuses URLs whose host is,
// or resolves to, a loopback, private, link-local or otherwise non-public address — when the webhook
// is registered and again before each delivery (a name may resolve elsewhere later).
import { lookup } from 'node:dns/promises';
import net from 'node:net';

const V4_BLOCKED: [string, number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
];

const v4ToInt = (ip: string) => ip.split('.').reduce((n, part) => (n << 8) + Number(part), 0) >>> 0;

/** Whether an IP address is not a public unicast one. */
export function isPrivateAddress(ip: string): boolean {
  if (net.isIPv4(ip)) {
    const n = v4ToInt(ip);
    return V4_BLOCKED.some(([base, bits]) => n >>> (32 - bits) === v4ToInt(base) >>> (32 - bits));
  }
  const lower = ip.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (mapped) return isPrivateAddress(mapped[1]!);
  return (
    lower === '::' ||
    lower === '::1' ||
    lower.startsWith('fc') ||
    lower.startsWith('fd') ||
    lower.startsWith('fe8') ||
    lower.startsWith('fe9') ||
    lower.startsWith('fea') ||
    lower.startsWith('feb') ||
    lower.startsWith('ff')
  );
}

/** Null when the URL may be called; else why not. Names are resolved (all their addresses must be public). */
export async function outboundProblem(url: URL): Promise<string | null> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  if (net.isIP(host)) addresses = [host];
  else {
    try {
      addresses = (await lookup(host, { all: true })).map((a) => a.address);
    } catch {
      return `the host ${host} cannot be resolved`;
    }
  }
  const blocked = addresses.find(isPrivateAddress);
  return blocked ? `${host} is a private or local address (${blocked}): webhooks go to public addresses` : null;
}
