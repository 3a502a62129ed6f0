import { API_PREFIX } from './vendor.ts';

export type HostResult = { ok: true; baseUrl: string } | { ok: false; problem: string };

const LOOPBACK = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;
const HOST_NAME =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const CRMVOX_SERVER = /^sv(\d+)\.crmvox\.com$/i;
const MANAGER_HOST = /^wv\d+\.wolkvox\.com$/i;

/**
 * WOLKVOX_SERVER → the CRM API base URL (`…/server/API/v2/`).
 * Accepts the bare tenant host the vendor's docs use (`crm0001.wolkvox.com`), or a URL with no
 * path beyond the API prefix (people paste either; the vendor warns about doubled `https://`).
 * Plain http is allowed only on loopback, for the sandbox.
 */
export function resolveWolkvoxServer(value: string): HostResult {
  const raw = value.trim();
  if (raw === '')
    return { ok: false, problem: 'is empty; set it to your CRM host, e.g. crm0001.wolkvox.com' };
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`);
  } catch {
    return { ok: false, problem: `"${raw}" is not a host name or URL` };
  }
  const host = url.hostname.toLowerCase();
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { ok: false, problem: `"${raw}": only https (or http on loopback) is supported` };
  }
  if (url.username || url.password || url.search || url.hash) {
    return { ok: false, problem: `"${raw}" must not carry credentials, a query or a fragment` };
  }
  let end = url.pathname.length;
  while (end > 1 && url.pathname[end - 1] === '/' && url.pathname[end - 2] === '/') end--;
  const path = url.pathname.slice(0, end);
  if (path !== '/' && path !== API_PREFIX) {
    return {
      ok: false,
      problem: `"${raw}": give the host only (the API path ${API_PREFIX} is added for you)`,
    };
  }
  const crmvox = CRMVOX_SERVER.exec(host);
  if (crmvox) {
    return {
      ok: false,
      problem: `${host} was switched off on 2024-11-30; use crm${crmvox[1]}.wolkvox.com instead`,
    };
  }
  if (host === 'crmvox.com' || host.endsWith('.crmvox.com')) {
    return {
      ok: false,
      problem: `${host}: crmvox.com hosts were switched off on 2024-11-30; use your crmNNNN.wolkvox.com host (shown in the address bar after logging in at https://crm.wolkvox.com/)`,
    };
  }
  if (MANAGER_HOST.test(host)) {
    return {
      ok: false,
      problem: `${host} is a wolkvox Manager (telephony) host; the CRM API lives on your crmNNNN.wolkvox.com host`,
    };
  }
  const loopback = LOOPBACK.test(host);
  if (url.protocol === 'http:' && !loopback) {
    return {
      ok: false,
      problem: `"${raw}": plain http is only allowed for loopback (a local sandbox); use https`,
    };
  }
  if (!loopback && !HOST_NAME.test(host)) {
    return { ok: false, problem: `"${raw}" is not a valid host name` };
  }
  return { ok: true, baseUrl: `${url.protocol}//${url.host}${API_PREFIX}` };
}
