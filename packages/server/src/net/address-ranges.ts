import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { badRequest } from '../errors.js';

/** `10.0.0.0/8`, `fd00::/8`, or a bare address (a /32 or /128). */
export function parseCidr(range: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } {
  const [address = '', bits] = range.split('/');
  const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : null;
  const prefix = bits === undefined ? (family === 'ipv4' ? 32 : 128) : Number(bits);
  if (!family || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 'ipv4' ? 32 : 128)) throw badRequest(`invalid CIDR range ${JSON.stringify(range)}`);
  return { address, prefix, family };
}

export const isCidr = (range: string): boolean => {
  try {
    parseCidr(range);
    return true;
  } catch {
    return false;
  }
};

export function blockListOf(ranges: string[]): BlockList {
  const list = new BlockList();
  for (const range of ranges) {
    const { address, prefix, family } = parseCidr(range);
    list.addSubnet(address, prefix, family);
  }
  return list;
}

/** Whether `ip` is in `list`; an IPv4-mapped IPv6 address (`::ffff:127.0.0.1`) counts as its IPv4 address. */
export function listed(list: BlockList, ip: string): boolean {
  const mapped = /^::ffff:/i.test(ip) && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
  return list.check(mapped, isIPv4(mapped) ? 'ipv4' : 'ipv6');
}
