/**
 * Public types of the wolkvox sandbox. Kept apart from the implementation so tests, the demo and
 * the CLI can depend on the shapes without pulling in the server.
 */
import type { EndpointPath, WolkvoxEnvelope } from '#lib/wolkvox/vendor.ts';

export type StatusCondition = 'Open' | 'Closed';

export interface CaseStatusDefinition {
  name: string;
  condition: StatusCondition;
}

export interface CaseTypeDefinition {
  /** Prefix of the human ticket number (`idPrefijo`), e.g. `REQ` → `REQ-1001`. */
  prefix: string;
  statuses: CaseStatusDefinition[];
  priorities: string[];
}

export interface Contact {
  name: string;
  email: string;
  identification: string;
}

/** The tenant's cases-module configuration: what `status`, `priority`, users and contacts may be. */
export interface CaseModule {
  /** Local parts only; the wolkvox user address is `${user}@${operation}`. */
  users: string[];
  contacts: Contact[];
  caseTypes: Record<string, CaseTypeDefinition>;
}

import type { Obligation } from '#lib/wolkvox/types.ts';

export type { Obligation, ObligationFormField } from '#lib/wolkvox/types.ts';

export interface CollectionsRecord {
  wolkvox_id: string;
  Identification: string;
  Name: string;
  Email: string;
  Telephone: string;
  obligations: Obligation[];
}

export interface CaseAttachment {
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  addedAt: string;
}

export interface CaseHistoryEntry {
  at: string;
  field: 'case-type' | 'status' | 'priority' | 'responsible' | 'solution';
  from: string;
  to: string;
}

export interface CaseRecord {
  wolkvox_id: string;
  idCase: number;
  idPrefijo: string;
  type: string;
  status: string;
  priority: string;
  responsible: string;
  owner: string;
  /** The contact's e-mail, as `cases/insert.php` takes it. */
  contact: string;
  description: string;
  solution: string;
  form: Record<string, unknown>;
  attachments: CaseAttachment[];
  history: CaseHistoryEntry[];
  createdAt: string;
  updatedAt: string;
}

export interface SandboxState {
  operation: string;
  records: CollectionsRecord[];
  cases: CaseRecord[];
}

export type FaultKind =
  'error500' | 'timeout' | 'reset' | 'html502' | 'maintenance' | 'tokenLimit' | 'simultaneous' | 'rejected';

export interface Faults {
  /** Extra delay before the endpoint logic, while the request counts as in flight. */
  latencyMs: number;
  errorRate: number;
  timeoutRate: number;
  resetRate: number;
  htmlErrorRate: number;
  maintenance: boolean;
  /**
   * wolkvox's front end is down (an outage): every request meets this before the token, the quota
   * or the endpoint are looked at, and nothing is counted against the quota.
   */
  down: false | 'reset' | 'timeout' | 'html502';
}

export interface RecordedFile {
  field: string;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  data: Buffer;
}

export interface RecordedForm {
  fields: Record<string, string[]>;
  files: RecordedFile[];
}

export interface RecordedRequest {
  seq: number;
  at: string;
  method: string;
  path: string;
  endpoint: EndpointPath | null;
  token: string | undefined;
  headers: Record<string, string>;
  contentType: string;
  json?: unknown;
  form?: RecordedForm;
  /** 0 when no HTTP answer was sent (reset, timeout, client gone). */
  status: number;
  /** The envelope sent, or null when the answer was not an envelope (reset, timeout, HTML). */
  response: WolkvoxEnvelope | null;
  fault?: FaultKind;
  /** Requests of the same token already in flight when this one arrived. */
  inFlightAtStart: number;
  durationMs: number;
}

export interface SandboxStats {
  /** Keyed by a non-secret token label (see `Sandbox.tokenLabel`), never by the token itself. */
  maxInFlight: Record<string, number>;
  maxInFlightOverall: number;
  rejectedSimultaneous: number;
  connectionsOpened: number;
  requestsTotal: number;
  quotaUsed: Record<string, number>;
}

export interface SandboxOptions {
  port?: number;
  host?: string;
  operation?: string;
  tokens?: string[];
  latencyMs?: number;
  /** Calls per token per day (America/Bogota calendar day). */
  dailyQuota?: number;
  /** Seed of the RNG behind the probabilistic fault rates. */
  seed?: number;
  now?: () => Date;
  module?: CaseModule;
  /** Called once per finished request (answered, reset or held); the CLI logs from it. */
  onRequest?: (request: RecordedRequest) => void;
}

export interface Sandbox {
  readonly url: string;
  readonly port: number;
  readonly operation: string;
  /** The tokens currently accepted. */
  readonly tokens: readonly string[];
  close(): Promise<void>;
  setFaults(faults: Partial<Faults>): void;
  /** Queues `count` faults for the next requests (to `endpoint` only, e.g. `collections/updateObligation.php`). */
  failNext(kind: FaultKind, count?: number, endpoint?: string): void;
  setTokens(tokens: string[]): void;
  resetQuota(): void;
  requests(): RecordedRequest[];
  clearRequests(): void;
  state(): SandboxState;
  reset(): void;
  stats(): SandboxStats;
  /** The label under which a token appears in `stats()`. */
  tokenLabel(token: string): string;
}
