/**
 * The sandbox tenant's data (collections records, cases) and its module configuration, with the
 * look-ups the endpoint handlers need. Handlers mutate records in place; everything handed out
 * of the sandbox goes through `snapshot()`, a deep copy.
 */
import { seedState } from './seed.ts';
import type {
  CaseModule,
  CaseRecord,
  CaseStatusDefinition,
  CaseTypeDefinition,
  CollectionsRecord,
  SandboxState,
} from './types.ts';

export class Store {
  readonly operation: string;
  readonly module: CaseModule;
  readonly now: () => Date;
  #state: SandboxState;
  #createdCases = 0;

  constructor(operation: string, module: CaseModule, now: () => Date) {
    this.operation = operation;
    this.module = module;
    this.now = now;
    this.#state = seedState(operation);
  }

  reset(): void {
    this.#state = seedState(this.operation);
    this.#createdCases = 0;
  }

  snapshot(): SandboxState {
    return structuredClone(this.#state);
  }

  get records(): CollectionsRecord[] {
    return this.#state.records;
  }

  get cases(): CaseRecord[] {
    return this.#state.cases;
  }

  findRecord(wolkvoxId: string): CollectionsRecord | undefined {
    return this.#state.records.find((r) => r.wolkvox_id === wolkvoxId);
  }

  findCase(wolkvoxId: string): CaseRecord | undefined {
    return this.#state.cases.find((c) => c.wolkvox_id === wolkvoxId);
  }

  caseType(name: string): CaseTypeDefinition | undefined {
    return Object.hasOwn(this.module.caseTypes, name) ? this.module.caseTypes[name] : undefined;
  }

  status(type: CaseTypeDefinition, name: string): CaseStatusDefinition | undefined {
    return type.statuses.find((s) => s.name === name);
  }

  /** Users are addressed as `user@operation` (their "Wolkvox Email"); another operation's user is not ours. */
  userExists(address: string): boolean {
    return this.module.users.some((local) => `${local}@${this.operation}` === address);
  }

  contactExists(email: string): boolean {
    return this.module.contacts.some((c) => c.email === email);
  }

  contactName(email: string): string | undefined {
    return this.module.contacts.find((c) => c.email === email)?.name;
  }

  nowIso(): string {
    return this.now().toISOString();
  }

  /** ObjectId-shaped (4-byte seconds + counter) and deterministic under an injected clock. */
  newCaseId(): string {
    this.#createdCases += 1;
    const seconds = (Math.floor(this.now().getTime() / 1000) >>> 0).toString(16).padStart(8, '0');
    return `${seconds}ca5e${this.#createdCases.toString(16).padStart(12, '0')}`;
  }

  nextIdCase(): number {
    return this.#state.cases.reduce((max, c) => Math.max(max, c.idCase), 1000) + 1;
  }
}
