/**
 * How the service names itself to a client, derived from the Host the client used.
 *
 * The Key Vault SDKs check that the request host ends with "." + the challenge's resource host, like
 * `myvault.vault.azure.net` under `vault.azure.net`. So the resource is the request host minus its first label
 * when it has more than one label (`myvault.vault.localhost` → `https://vault.localhost`), and the host itself
 * otherwise (`localhost`, or an IP address, where clients turn resource verification off).
 */
import { isIP } from 'node:net';

/** Host header values we answer to: a DNS name or IP literal with an optional port; nothing to inject. */
const HOST_HEADER = /^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

export function isValidHostHeader(host: string | undefined): host is string {
  return host !== undefined && host.length <= 255 && HOST_HEADER.test(host);
}

/** The host name of a Host header, without port or IPv6 brackets, lower-cased. */
export function hostnameOf(host: string): string {
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  return name.toLowerCase();
}

/** The OAuth resource (token audience) of requests sent to this host. */
export function resourceFor(host: string): string {
  const hostname = hostnameOf(host);
  if (isIP(hostname) !== 0) return `https://${hostname}`;
  const firstDot = hostname.indexOf('.');
  return `https://${firstDot === -1 ? hostname : hostname.slice(firstDot + 1)}`;
}

export function originOf(host: string): string {
  return `https://${host.toLowerCase()}`;
}
