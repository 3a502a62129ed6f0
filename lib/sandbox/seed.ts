/**
 * Deterministic seed data of the sandbox tenant: a small Colombian collections agency. Ids are
 * fixed 24-hex strings (wolkvox ids look like MongoDB ObjectIds) so tests, the demo and sample
 * events can name records without querying first.
 */
import type { CaseModule, CaseRecord, CollectionsRecord, SandboxState } from './types.ts';

export const DEFAULT_OPERATION = 'demo';

export const SEED_RECORD_IDS = {
  carlosRamirez: '65a1f0c2e4b0a1d2c3e4f501',
  mariaLopez: '65a1f0c2e4b0a1d2c3e4f502',
  jorgeMartinez: '65a1f0c2e4b0a1d2c3e4f503',
  luisaGutierrez: '65a1f0c2e4b0a1d2c3e4f504',
} as const;

export const SEED_OBLIGATION_IDS = {
  /** Contains a space on purpose: the vendor's own example id does (§5.3). */
  carlosLibreInversion: '6669999 API',
  carlosPagare: 'PAG-2024-00123',
  mariaTarjeta: 'TC-4587',
  mariaLibranza: 'LIB-99812',
  mariaVehiculo: 'VEH-2023-77',
  jorgeMicrocredito: 'MC-001245',
  luisaEducativo: 'EDU-5521',
} as const;

export const SEED_CASE_IDS = {
  pazYSalvo: '65b2c3d4e5f6a7b8c9d0e101',
  cobroDoble: '65b2c3d4e5f6a7b8c9d0e102',
  reporteCentrales: '65b2c3d4e5f6a7b8c9d0e103',
  horarioAtencion: '65b2c3d4e5f6a7b8c9d0e104',
  acuerdoPago: '65b2c3d4e5f6a7b8c9d0e105',
} as const;

const PRIORITIES = ['Baja', 'Media', 'Alta', 'Urgente'];

/**
 * Status sets differ a little per case type on purpose, so a client that validates a status
 * against the wrong type is caught: `Resuelto` does not exist for Suggestions, `Implementado`
 * only exists there, and Suggestions have no `Urgente` priority.
 */
export const DEFAULT_CASE_MODULE: CaseModule = {
  users: ['ADMIN_', 'agent_001', 'agent_002', 'agent_003', 'supervisor_01'],
  contacts: [
    {
      name: 'Carlos Andrés Ramírez Gómez',
      email: 'carlos.ramirez@example.com',
      identification: '1020456789',
    },
    { name: 'María Fernanda López Restrepo', email: 'mafe.lopez@example.com', identification: '52345678' },
    { name: 'Jorge Iván Martínez Ospina', email: 'jorge.martinez@example.net', identification: '79876543' },
    {
      name: 'Luisa Valentina Gutiérrez Castaño',
      email: 'luisa.gutierrez@example.org',
      identification: '1037654321',
    },
  ],
  caseTypes: {
    Request: {
      prefix: 'REQ',
      statuses: [
        { name: 'Abierto', condition: 'Open' },
        { name: 'En proceso', condition: 'Open' },
        { name: 'Resuelto', condition: 'Closed' },
        { name: 'Cerrado', condition: 'Closed' },
      ],
      priorities: PRIORITIES,
    },
    Complaints: {
      prefix: 'QUE',
      statuses: [
        { name: 'Abierto', condition: 'Open' },
        { name: 'En investigación', condition: 'Open' },
        { name: 'Resuelto', condition: 'Closed' },
        { name: 'Cerrado', condition: 'Closed' },
      ],
      priorities: PRIORITIES,
    },
    Claims: {
      prefix: 'REC',
      statuses: [
        { name: 'Abierto', condition: 'Open' },
        { name: 'En revisión', condition: 'Open' },
        { name: 'Resuelto', condition: 'Closed' },
        { name: 'Rechazado', condition: 'Closed' },
      ],
      priorities: PRIORITIES,
    },
    Suggestions: {
      prefix: 'SUG',
      statuses: [
        { name: 'Abierto', condition: 'Open' },
        { name: 'En análisis', condition: 'Open' },
        { name: 'Implementado', condition: 'Closed' },
        { name: 'Cerrado', condition: 'Closed' },
      ],
      priorities: ['Baja', 'Media', 'Alta'],
    },
  },
};

function seedRecords(): CollectionsRecord[] {
  return [
    {
      wolkvox_id: SEED_RECORD_IDS.carlosRamirez,
      Identification: '1020456789',
      Name: 'Carlos Andrés Ramírez Gómez',
      Email: 'carlos.ramirez@example.com',
      Telephone: '573001234567',
      obligations: [
        {
          id: SEED_OBLIGATION_IDS.carlosLibreInversion,
          name: 'Crédito de libre inversión 6669999',
          total_balance: '1250000',
          portfolio_type: 'Consumo',
          last_pay: '350000',
          last_pay_date: '15-10-2024',
          expiring_date: '05-11-2024',
          days_delay: '18',
          form: [
            { name: 'Titulación', value: 'Cartera propia' },
            { name: 'Frecuencia', value: 'Mensual' },
          ],
        },
        {
          id: SEED_OBLIGATION_IDS.carlosPagare,
          name: 'Pagaré 2024-00123',
          total_balance: '4800000',
          portfolio_type: 'Libranza',
          last_pay: '',
          last_pay_date: '',
          expiring_date: '28-02-2025',
          days_delay: '0',
          form: [],
        },
      ],
    },
    {
      wolkvox_id: SEED_RECORD_IDS.mariaLopez,
      Identification: '52345678',
      Name: 'María Fernanda López Restrepo',
      Email: 'mafe.lopez@example.com',
      Telephone: '573159876543',
      obligations: [
        {
          id: SEED_OBLIGATION_IDS.mariaTarjeta,
          name: 'Tarjeta de crédito terminada en 4587',
          total_balance: '2375900',
          portfolio_type: 'Tarjeta de crédito',
          last_pay: '120000',
          last_pay_date: '30-09-2024',
          expiring_date: '20-10-2024',
          days_delay: '45',
          form: [{ name: 'Frecuencia', value: 'Mensual' }],
        },
        {
          id: SEED_OBLIGATION_IDS.mariaLibranza,
          name: 'Libranza 99812',
          total_balance: '8900000',
          portfolio_type: 'Libranza',
          last_pay: '450000',
          last_pay_date: '01-11-2024',
          expiring_date: '01-12-2024',
          days_delay: '0',
          form: [],
        },
        {
          id: SEED_OBLIGATION_IDS.mariaVehiculo,
          name: 'Crédito vehicular 2023-77',
          total_balance: '32500000',
          portfolio_type: 'Vehículo',
          last_pay: '1150000',
          last_pay_date: '13-08-2024',
          expiring_date: '13-09-2024',
          days_delay: '72',
          form: [{ name: 'Garantía', value: 'Prenda sin tenencia' }],
        },
      ],
    },
    {
      wolkvox_id: SEED_RECORD_IDS.jorgeMartinez,
      Identification: '79876543',
      Name: 'Jorge Iván Martínez Ospina',
      Email: 'jorge.martinez@example.net',
      Telephone: '576014567890',
      obligations: [
        {
          id: SEED_OBLIGATION_IDS.jorgeMicrocredito,
          name: 'Microcrédito 001245',
          total_balance: '950000',
          portfolio_type: 'Microcrédito',
          last_pay: '95000',
          last_pay_date: '22-07-2024',
          expiring_date: '22-08-2024',
          days_delay: '93',
          form: [],
        },
      ],
    },
    {
      wolkvox_id: SEED_RECORD_IDS.luisaGutierrez,
      Identification: '1037654321',
      Name: 'Luisa Valentina Gutiérrez Castaño',
      Email: 'luisa.gutierrez@example.org',
      Telephone: '573204445566',
      obligations: [
        {
          id: SEED_OBLIGATION_IDS.luisaEducativo,
          name: 'Crédito educativo 5521',
          total_balance: '0',
          portfolio_type: 'Educativo',
          last_pay: '780000',
          last_pay_date: '17-10-2024',
          expiring_date: '17-10-2024',
          days_delay: '0',
          form: [{ name: 'Estado', value: 'Paz y salvo pendiente' }],
        },
      ],
    },
  ];
}

function seedCases(operation: string): CaseRecord[] {
  const user = (local: string) => `${local}@${operation}`;
  // A function, not a shared object: each case needs its own mutable form/attachments/history.
  const base = () => ({ form: {}, attachments: [], history: [] });
  return [
    {
      ...base(),
      wolkvox_id: SEED_CASE_IDS.pazYSalvo,
      idCase: 1001,
      idPrefijo: 'REQ-1001',
      type: 'Request',
      status: 'Abierto',
      priority: 'Media',
      responsible: user('agent_001'),
      owner: user('ADMIN_'),
      contact: 'carlos.ramirez@example.com',
      description: 'Solicita certificado de paz y salvo del crédito 6669999.',
      solution: '',
      createdAt: '2024-10-01T14:30:00.000Z',
      updatedAt: '2024-10-01T14:30:00.000Z',
    },
    {
      ...base(),
      wolkvox_id: SEED_CASE_IDS.cobroDoble,
      idCase: 1002,
      idPrefijo: 'QUE-1002',
      type: 'Complaints',
      status: 'En investigación',
      priority: 'Alta',
      responsible: user('agent_002'),
      owner: user('ADMIN_'),
      contact: 'mafe.lopez@example.com',
      description: 'Reporta doble cobro de la cuota de octubre de la tarjeta 4587.',
      solution: '',
      createdAt: '2024-10-14T16:05:00.000Z',
      updatedAt: '2024-10-15T13:20:00.000Z',
    },
    {
      ...base(),
      wolkvox_id: SEED_CASE_IDS.reporteCentrales,
      idCase: 1003,
      idPrefijo: 'REC-1003',
      type: 'Claims',
      status: 'Abierto',
      priority: 'Urgente',
      responsible: user('agent_001'),
      owner: user('supervisor_01'),
      contact: 'jorge.martinez@example.net',
      description: 'Reclama reporte negativo en centrales de riesgo tras acuerdo de pago.',
      solution: '',
      createdAt: '2024-10-20T21:45:00.000Z',
      updatedAt: '2024-10-20T21:45:00.000Z',
    },
    {
      ...base(),
      wolkvox_id: SEED_CASE_IDS.horarioAtencion,
      idCase: 1004,
      idPrefijo: 'SUG-1004',
      type: 'Suggestions',
      status: 'Implementado',
      priority: 'Baja',
      responsible: user('agent_003'),
      owner: user('ADMIN_'),
      contact: 'luisa.gutierrez@example.org',
      description: 'Sugiere ampliar el horario de atención telefónica los sábados.',
      solution: 'Se amplió el horario de los sábados hasta las 2 p. m.',
      createdAt: '2024-09-02T15:00:00.000Z',
      updatedAt: '2024-09-30T22:10:00.000Z',
    },
    {
      ...base(),
      wolkvox_id: SEED_CASE_IDS.acuerdoPago,
      idCase: 1005,
      idPrefijo: 'REQ-1005',
      type: 'Request',
      status: 'En proceso',
      priority: 'Baja',
      responsible: user('agent_002'),
      owner: user('ADMIN_'),
      contact: 'mafe.lopez@example.com',
      description: 'Solicita acuerdo de pago a 12 cuotas para el crédito vehicular.',
      solution: '',
      createdAt: '2024-11-04T12:00:00.000Z',
      updatedAt: '2024-11-05T17:30:00.000Z',
    },
  ];
}

/** A fresh, independent copy of the seed data for `operation` (users are `local@operation`). */
export function seedState(operation: string = DEFAULT_OPERATION): SandboxState {
  return { operation, records: seedRecords(), cases: seedCases(operation) };
}
