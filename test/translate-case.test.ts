import { describe, expect, it } from 'vitest';
import type { TicketResolved } from '#lib/events.ts';
import { type CaseRules, caseCommand, DEFAULT_PRIORITY_MAP, solutionOf } from '#lib/translate/case.ts';

const map = (entries: Record<string, string>): ReadonlyMap<string, string> =>
  new Map(Object.entries(entries));
const rules: CaseRules = {
  resolvedStatus: 'Resuelto',
  resolvedStatusByType: map({ Claims: 'Cerrado' }),
  caseType: undefined,
  caseTypeMap: map({ incident: 'Claims', question: 'Request' }),
  responsibleMap: map({
    'laura.gomez@acme-cobranzas.com': 'agent_001@demo',
    '5b10ac8d82e05b22cc7d4ef5': 'agent_002@demo',
  }),
  priorityMap: map(DEFAULT_PRIORITY_MAP),
  formMap: map({ ticket_id: 'Ticket externo', root_cause: 'Causa raíz' }),
};

const ticket = (overrides: Partial<TicketResolved> = {}): TicketResolved => ({
  kind: 'ticket',
  provider: 'zendesk',
  eventId: 'inv-1',
  ticketId: '4521',
  resolvedAt: '2026-11-22T16:05:00.000Z',
  caseId: '65b2c3d4e5f6a7b8c9d0e101',
  priority: 'high',
  caseType: null,
  assignee: { email: 'Laura.Gomez@acme-cobranzas.com' },
  solution: { lastPublicReply: 'Le enviamos el paz y salvo.' },
  customFields: { ticket_id: '4521', root_cause: 'Pago no aplicado', unmapped: 'x' },
  attachments: [{ filename: 'paz-y-salvo.pdf', url: 'https://acme.zendesk.com/a?name=paz-y-salvo.pdf' }],
  ...overrides,
});

describe('caseCommand', () => {
  it('maps status, solution, responsible, priority, form fields and attachments', () => {
    expect(caseCommand(ticket(), rules, 'demo')).toEqual({
      command: {
        kind: 'updateCase',
        identity: 'zendesk:4521:2026-11-22T16:05:00.000Z',
        provider: 'zendesk',
        resolvedAt: '2026-11-22T16:05:00.000Z',
        target: { operation: 'demo', wolkvoxId: '65b2c3d4e5f6a7b8c9d0e101' },
        update: {
          status: 'Resuelto',
          solution: 'Le enviamos el paz y salvo.',
          responsible: 'agent_001@demo',
          priority: 'Alta',
          caseType: undefined,
          form: { 'Ticket externo': '4521', 'Causa raíz': 'Pago no aplicado' },
        },
        attachments: ticket().attachments,
      },
    });
  });

  it('prefers the resolution text, then the closing note, then the last public reply', () => {
    expect(
      solutionOf(ticket({ solution: { resolution: ' R ', closingNote: 'C', lastPublicReply: 'P' } })),
    ).toBe('R');
    expect(
      solutionOf(ticket({ solution: { resolution: '  ', closingNote: 'C', lastPublicReply: 'P' } })),
    ).toBe('C');
    expect(solutionOf(ticket({ solution: { lastPublicReply: 'P' } }))).toBe('P');
  });

  it('parks a ticket without any solution text instead of closing the case', () => {
    expect(
      caseCommand(ticket({ solution: { resolution: '', lastPublicReply: ' \n ' } }), rules, 'demo'),
    ).toEqual({
      park: 'no solution text (resolution, closing note or public reply): the case is not closed',
    });
  });

  it('parks a ticket that names no wolkvox case, with the source reason', () => {
    expect(caseCommand(ticket({ caseId: null, targetProblem: 'no wolkvox_id' }), rules, 'demo')).toEqual({
      park: 'no wolkvox_id',
    });
  });

  it('leaves unmapped agents and priorities unchanged, and maps Jira ids', () => {
    const unmapped = caseCommand(
      ticket({ assignee: { email: 'x@y.z' }, priority: 'whenever' }),
      rules,
      'demo',
    );
    expect(unmapped).toMatchObject({ command: { update: { responsible: undefined, priority: undefined } } });
    const jira = caseCommand(
      ticket({ assignee: { id: '5b10ac8d82e05b22cc7d4ef5' }, priority: 'Highest' }),
      rules,
      'demo',
    );
    expect(jira).toMatchObject({
      command: { update: { responsible: 'agent_002@demo', priority: 'Urgente' } },
    });
  });

  it('sets the case type when mapped or configured, and the resolved status for that type', () => {
    const claim = caseCommand(ticket({ caseType: 'Incident' }), rules, 'demo');
    expect(claim).toMatchObject({ command: { update: { caseType: 'Claims', status: 'Cerrado' } } });
    const fixed = caseCommand(ticket(), { ...rules, caseType: 'Request' }, 'demo');
    expect(fixed).toMatchObject({ command: { update: { caseType: 'Request', status: 'Resuelto' } } });
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])(
    'treats a webhook value of %j as unmapped in every map (never Object.prototype)',
    (name) => {
      const hostile = caseCommand(
        ticket({
          assignee: { email: name, id: name },
          priority: name,
          caseType: name,
          customFields: { [name]: 'x', ticket_id: '4521' },
        }),
        rules,
        'demo',
      );
      expect(hostile).toMatchObject({
        command: {
          update: {
            responsible: undefined,
            priority: undefined,
            caseType: undefined,
            status: 'Resuelto',
            form: { 'Ticket externo': '4521' },
          },
        },
      });
    },
  );

  it('sends no form when no custom field is mapped', () => {
    const bare = caseCommand(ticket({ customFields: { unmapped: 'x' } }), rules, 'demo');
    expect(bare).toMatchObject({ command: { update: { form: undefined } } });
  });
});
