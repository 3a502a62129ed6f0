/** An obligation as collections/*Obligation.php carry it: every value a string (§5). */
export interface Obligation {
  id: string;
  name: string;
  total_balance: string;
  portfolio_type: string;
  last_pay: string;
  last_pay_date: string;
  expiring_date: string;
  days_delay: string;
  form: ObligationFormField[];
}

export interface ObligationFormField {
  name: string;
  value: string;
}

export const OBLIGATION_TEXT_FIELDS = [
  'id',
  'name',
  'total_balance',
  'portfolio_type',
  'last_pay',
  'last_pay_date',
  'expiring_date',
  'days_delay',
] as const;

/** A file for a `files` part of cases/insert.php or cases/update.php. */
export interface CaseFile {
  filename: string;
  contentType: string;
  data: Uint8Array | Blob;
}

/** The parts of cases/update.php; only what is set is sent (reading A7: the minimum is operation + id). */
export interface CaseUpdate {
  wolkvoxId: string;
  caseType?: string;
  status?: string;
  solution?: string;
  responsible?: string;
  priority?: string;
  /** Custom case fields by label; sent as the JSON object string the endpoint expects (A8). */
  form?: Record<string, string>;
  files?: CaseFile[];
}

export interface CaseInsert {
  caseType: string;
  responsible: string;
  owner: string;
  contact: string;
  description: string;
  status: string;
  priority: string;
  solution?: string;
  form?: Record<string, string>;
  files?: CaseFile[];
}

export type CaseRecord = Record<string, unknown> & { wolkvox_id: string };
