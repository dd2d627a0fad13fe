import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { blockListOf, isCidr, listed } from './address-ranges.js';

/**
 * Where a URL a user typed must not lead the server: this host, private networks, link-local (cloud
 * metadata at 169.254.169.254 and fd00:ec2::254), carrier-grade NAT, multicast and reserved ranges.
 */
const FORBIDDEN = blockListOf([
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24',
  '192.168.0.0/16', '198.18.0.0/15', '224.0.0.0/4', '240.0.0.0/4',
  '::/128', '::1/128', '64:ff9b::/96', 'fc00::/7', 'fe80::/10', 'ff00::/8',
]);

export class FetchRefused extends Error {}

export interface GuardedFetchOptions {
  /** The operator's exceptions: CIDR ranges (an internal mirror at 10.0.0.5/32) or exact host names. */
  allow?: string[];
  timeoutMs?: number;
  /** Bytes of body kept; the rest is not read. */
  maxBytes?: number;
  /** Name resolution, for tests; default the system's. */
  lookup?: typeof dnsLookup;
}

export interface GuardedResponse {
  status: number;
  body: Buffer;
}

export type GuardedFetch = (url: string, headers?: Record<string, string>) => Promise<GuardedResponse>;

/**
 * The one way the server fetches a URL a user gave it (source probes, "test this URL"): http(s)
 * only, no credentials, every address the name resolves to checked against FORBIDDEN unless the
 * operator allowed it, and the connection made to the very address checked (no second lookup for
 * DNS rebinding to exploit). Redirects are not followed; time and body size are bounded.
 */
export function guardedFetch(options: GuardedFetchOptions = {}): GuardedFetch {
  const allow = options.allow ?? [];
  const allowedRanges = blockListOf(allow.filter(isCidr));
  const allowedHosts = new Set(allow.filter((a) => !isCidr(a)).map((h) => h.toLowerCase()));
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  const resolve = options.lookup ?? dnsLookup;

  const refusedAddress = (address: string) => (listed(FORBIDDEN, address) && !listed(allowedRanges, address) ? address : null);

  return (url, headers = {}) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return Promise.reject(new FetchRefused(`not a URL: ${url}`));
    }
    if (target.protocol !== 'http:' && target.protocol !== 'https:') return Promise.reject(new FetchRefused(`only http and https URLs are fetched, not ${target.protocol}`));
    if (target.username || target.password) return Promise.reject(new FetchRefused('URLs with credentials are not fetched'));
    const host = target.hostname.replace(/^\[|\]$/g, '');
    const trustedHost = allowedHosts.has(host.toLowerCase());
    if (isIP(host) && !trustedHost && refusedAddress(host)) return Promise.reject(new FetchRefused(`${host} is a loopback, private or link-local address: not fetched`));

    // Called by the socket itself, so the address checked is the address connected to.
    const lookup: LookupFunction = (hostname, opts, callback) => {
      resolve(hostname, { ...opts, all: true }, (err, addresses: LookupAddress[]) => {
        if (err) return callback(err, '', 0);
        const refused = trustedHost ? null : addresses.map((a) => refusedAddress(a.address)).find((a) => a !== null);
        if (refused) return callback(new FetchRefused(`${hostname} resolves to ${refused}, a loopback, private or link-local address: not fetched`), '', 0);
        if ((opts as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
        callback(null, addresses[0]!.address, addresses[0]!.family);
      });
    };

    return new Promise<GuardedResponse>((done, fail) => {
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(target, { method: 'GET', headers, lookup, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        res.on('data', (chunk: Buffer) => {
          if (kept < maxBytes) chunks.push(chunk.subarray(0, maxBytes - kept));
          kept += chunk.length;
          if (kept >= maxBytes) res.destroy();
        });
        const finish = () => done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) });
        res.on('end', finish);
        res.on('close', finish);
      });
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      req.on('error', (err) => fail(err));
      req.on('close', () => clearTimeout(timer));
      req.end();
    });
  };
}
