/**
 * cases/insert.php and cases/update.php (multipart/form-data, record named by `wolkvox-id` with a
 * hyphen, A5) and cases/queryCases.php (raw JSON). Status and priority must exist in the module
 * for the case's type; users and contacts must exist (§6).
 */
import { MESSAGES } from '#lib/wolkvox/vendor.ts';
import {
  found,
  INVENTED_MESSAGES,
  type Reply,
  reject,
  rejectMissingParameters,
  written,
} from './envelope.ts';
import { isPlainObject, nonEmptyString } from './formats.ts';
import { formText, requireFormText, requireJsonObject, requireOperation } from './params.ts';
import type { Store } from './store.ts';
import type {
  CaseAttachment,
  CaseHistoryEntry,
  CaseRecord,
  CaseStatusDefinition,
  CaseTypeDefinition,
  RecordedForm,
} from './types.ts';

/**
 * The vendor's answer to a status, priority or user that does not exist is unknown; 412 and the
 * text naming the bad value are invented.
 */
function rejectUnknown(what: string, value: string): never {
  return reject(412, INVENTED_MESSAGES.unknownValue(what, value));
}

function requireCaseType(store: Store, name: string): CaseTypeDefinition {
  return store.caseType(name) ?? rejectUnknown('CASE TYPE', name);
}

function requireStatus(store: Store, type: CaseTypeDefinition, name: string): CaseStatusDefinition {
  return store.status(type, name) ?? rejectUnknown('STATUS', name);
}

function requirePriority(type: CaseTypeDefinition, name: string): void {
  if (!type.priorities.includes(name)) rejectUnknown('PRIORITY', name);
}

function requireUser(store: Store, address: string): void {
  if (!store.userExists(address)) rejectUnknown('USER', address);
}

/** The documented rule: a status of the "Closed" condition needs the `solution` part. */
function requireSolutionWhenClosed(status: CaseStatusDefinition, solution: string | undefined): void {
  if (status.condition === 'Closed' && solution === undefined) rejectMissingParameters();
}

/** `form` travels as a JSON object *string* in multipart bodies (A8). */
function parseCaseForm(raw: string | undefined): Record<string, unknown> {
  if (raw === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return reject(412, INVENTED_MESSAGES.invalidField('form', 'JSON OBJECT STRING EXPECTED'));
  }
  if (!isPlainObject(value))
    return reject(412, INVENTED_MESSAGES.invalidField('form', 'JSON OBJECT STRING EXPECTED'));
  return value;
}

/**
 * Attachments go in parts named `files`, as all three vendor samples send them; the field table
 * says `file`, which the sandbox refuses (invented 412) so a client using it finds out in tests
 * instead of silently losing attachments (A6).
 */
function attachmentsOf(form: RecordedForm, at: string): CaseAttachment[] {
  const stray = form.files.find((f) => f.field !== 'files');
  if (stray) reject(412, INVENTED_MESSAGES.unexpectedFilePart(stray.field));
  return form.files.map((f) => ({
    filename: f.filename,
    contentType: f.contentType,
    size: f.size,
    sha256: f.sha256,
    addedAt: at,
  }));
}

function requireForm(form: RecordedForm | undefined, store: Store): RecordedForm {
  // A JSON (or empty) body leaves PHP's $_POST empty: to wolkvox every parameter is missing.
  if (!form) return rejectMissingParameters();
  requireOperation(formText(form, 'operation'), store.operation);
  return form;
}

export function insertCase(body: RecordedForm | undefined, store: Store): Reply {
  const form = requireForm(body, store);
  const typeName = requireFormText(form, 'case-type');
  const responsible = requireFormText(form, 'responsible');
  const owner = requireFormText(form, 'owner');
  const contact = requireFormText(form, 'contact');
  const description = requireFormText(form, 'description');
  const statusName = requireFormText(form, 'status');
  const priority = requireFormText(form, 'priority');
  const type = requireCaseType(store, typeName);
  const status = requireStatus(store, type, statusName);
  requirePriority(type, priority);
  requireUser(store, responsible);
  requireUser(store, owner);
  if (!store.contactExists(contact)) rejectUnknown('CONTACT', contact);
  const solution = formText(form, 'solution');
  requireSolutionWhenClosed(status, solution);
  const caseForm = parseCaseForm(formText(form, 'form'));
  const at = store.nowIso();
  const attachments = attachmentsOf(form, at);

  const idCase = store.nextIdCase();
  const created: CaseRecord = {
    wolkvox_id: store.newCaseId(),
    idCase,
    idPrefijo: `${type.prefix}-${idCase}`,
    type: typeName,
    status: status.name,
    priority,
    responsible,
    owner,
    contact,
    description,
    solution: solution ?? '',
    form: caseForm,
    attachments,
    history: [{ at, field: 'status', from: '', to: status.name }],
    createdAt: at,
    updatedAt: at,
  };
  store.cases.push(created);
  return written(MESSAGES.created, created.wolkvox_id);
}

/**
 * Only `operation` and `wolkvox-id` are required (reading A7: the vendor samples omit the rest);
 * every other part changes the case only when sent.
 */
export function updateCase(body: RecordedForm | undefined, store: Store): Reply {
  const form = requireForm(body, store);
  const id = requireFormText(form, 'wolkvox-id');
  const existing = store.findCase(id) ?? reject(404, INVENTED_MESSAGES.caseNotFound);

  const typeName = formText(form, 'case-type');
  const statusName = formText(form, 'status');
  const priority = formText(form, 'priority');
  const responsible = formText(form, 'responsible');
  const solution = formText(form, 'solution');

  const type = requireCaseType(store, typeName ?? existing.type);
  const typeChanged = typeName !== undefined && typeName !== existing.type;
  // A new type must also fit the case's current status and priority when those are not resent.
  if (statusName !== undefined || typeChanged) {
    const status = requireStatus(store, type, statusName ?? existing.status);
    if (statusName !== undefined) requireSolutionWhenClosed(status, solution);
  }
  if (priority !== undefined || typeChanged) requirePriority(type, priority ?? existing.priority);
  if (responsible !== undefined) requireUser(store, responsible);
  const caseForm = parseCaseForm(formText(form, 'form'));
  const at = store.nowIso();
  const attachments = attachmentsOf(form, at);

  const track = (field: CaseHistoryEntry['field'], from: string, to: string | undefined): string => {
    if (to === undefined || to === from) return from;
    existing.history.push({ at, field, from, to });
    return to;
  };
  existing.type = track('case-type', existing.type, typeName);
  existing.status = track('status', existing.status, statusName);
  existing.priority = track('priority', existing.priority, priority);
  existing.responsible = track('responsible', existing.responsible, responsible);
  existing.solution = track('solution', existing.solution, solution);
  Object.assign(existing.form, caseForm);
  existing.attachments.push(...attachments);
  existing.updatedAt = at;
  return written(MESSAGES.updated, existing.wolkvox_id);
}

/** The `field` names queryCases.php documents (§6.5) that the sandbox can answer. */
const QUERY_FIELDS: Record<string, (c: CaseRecord, store: Store) => string> = {
  'wolkvox-id': (c) => c.wolkvox_id,
  idCase: (c) => String(c.idCase),
  idPrefijo: (c) => c.idPrefijo,
  status: (c) => c.status,
  priority: (c) => c.priority,
  'email contact': (c) => c.contact,
  'name contact': (c, store) => store.contactName(c.contact) ?? '',
  'responsible user': (c) => c.responsible,
  'owner user': (c) => c.owner,
  'type case': (c) => c.type,
  'case-type': (c) => c.type,
  description: (c) => c.description,
  solution: (c) => c.solution,
};

export function queryCases(json: unknown, store: Store): Reply {
  const body = requireJsonObject(json, store.operation);
  const { field, value } = body;
  if (!nonEmptyString(field) || !Object.hasOwn(QUERY_FIELDS, field)) return rejectMissingParameters();
  if (!nonEmptyString(value) && typeof value !== 'number') return rejectMissingParameters();
  const read = QUERY_FIELDS[field];
  if (!read) return rejectMissingParameters();
  const wanted = String(value);
  // The change history is sandbox bookkeeping, not part of the vendor's case record.
  const matches = store.cases
    .filter((c) => read(c, store) === wanted)
    .map(({ history: _history, ...wire }) => structuredClone(wire));
  return found(matches);
}
