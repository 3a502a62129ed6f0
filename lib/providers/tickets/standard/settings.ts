import * as z from 'zod/mini';
import '#lib/zod-mini.ts';
import { blankIsUnset, preprocess } from '#lib/settings.ts';
import { defineProvider } from '../../define.ts';

export interface StandardTicketsSettings {
  /** STANDARD_TICKETS_ATTACHMENT_HOSTS: where attachments may come from (`files.example.com`, `*.example.com`); none by default. */
  attachmentHosts: readonly string[];
}

const HOST = /^(?:\*\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** Comma-separated host names; `*.` allows the subdomains of one. */
const hostList = () =>
  preprocess(
    blankIsUnset,
    z.pipe(
      z._default(z.string(), ''),
      z.transform((value, context) => {
        const hosts = value
          .split(',')
          .map((host) => host.trim().toLowerCase())
          .filter(Boolean);
        const wrong = hosts.filter((host) => !HOST.test(host));
        if (wrong.length > 0) {
          context.issues.push({
            code: 'custom',
            message: 'must be host names, comma-separated (files.example.com or *.example.com)',
            input: value,
          });
          return z.NEVER;
        }
        return [...new Set(hosts)] as readonly string[];
      }),
    ),
  );

/** Any Standard Webhooks sender of resolved tickets (docs/providers/standard.md). */
export default defineProvider({
  family: 'tickets',
  slug: 'standard',
  name: 'Standard Webhooks (tickets)',
  secrets: { required: ['STANDARD_TICKETS_SECRET'], optional: [] },
  env: {
    /** Where a resolved ticket's attachments may be downloaded from; none unless listed. */
    STANDARD_TICKETS_ATTACHMENT_HOSTS: hostList(),
  },
  read: (env): StandardTicketsSettings => ({ attachmentHosts: env.STANDARD_TICKETS_ATTACHMENT_HOSTS }),
  local: {
    secrets: { STANDARD_TICKETS_SECRET: 'whsec_bG9jYWwtZGVtby1zdGFuZGFyZC10aWNrZXRzLTMyYg==' },
    settings: { STANDARD_TICKETS_ATTACHMENT_HOSTS: 'files.acme-cobranzas.com' },
  },
  load: async () => (await import('./provider.ts')).default,
});
