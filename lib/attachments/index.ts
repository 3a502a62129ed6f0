export {
  ATTACHMENT_DEFAULTS,
  type AttachmentFailure,
  type AttachmentPolicy,
  type FetchedAttachments,
  type FetchOptions,
  fetchAttachments,
  safeFilename,
} from './fetch.ts';
export { basicAuthorization, hostAllowed } from './policy.ts';
export { createGuardedAgent, guardedLookup, isRestrictedAddress, RestrictedAddressError } from './address.ts';
