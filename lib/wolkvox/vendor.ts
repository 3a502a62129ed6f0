/**
 * The wolkvox CRM v2 wire vocabulary: paths, the response envelope and the vendor's exact
 * messages (misspellings are part of the contract). Shared by the client, which classifies
 * answers, and the sandbox, which produces them, so the two cannot drift apart.
 * Source: ../shared/reference/wolkvox-api.md §1, §4, §5, §6.
 */

export const API_PREFIX = '/server/API/v2/';

export const ENDPOINTS = {
  insertObligation: 'collections/insertObligation.php',
  updateObligation: 'collections/updateObligation.php',
  queryObligation: 'collections/queryObligation.php',
  insertCase: 'cases/insert.php',
  updateCase: 'cases/update.php',
  queryCases: 'cases/queryCases.php',
  /** GET with `?operation=`, no body; it costs one unit of the token's daily quota (§3.2). */
  tokenInformation: 'token/tokenInformation.php',
} as const;

/** Every script is POST (a vendor article says so) except the token information page's GET (§3.2). */
export const ENDPOINT_METHOD: Partial<Record<EndpointPath, 'GET'>> = {
  [ENDPOINTS.tokenInformation]: 'GET',
};

export type EndpointName = keyof typeof ENDPOINTS;
export type EndpointPath = (typeof ENDPOINTS)[EndpointName];

/** `{code, error, msg, data}`; `code` is a number on some pages and a string in real data (A9). */
export interface WolkvoxEnvelope<T = unknown> {
  code: number | string;
  error: string | null;
  msg: string;
  data: T;
}

export const MESSAGES = {
  created: 'Succesfully create record',
  edited: 'Succesfully edit record',
  updated: 'Succesfully update record',
  found: (n: number) => `${n} records were are found`,
  apiDoesNotExist: 'THE API YOU WANT TO CONSULT DOES NOT EXIST',
  parametersRequired: 'SOME PARAMETERS ARE REQUIRED',
  enterToken: 'PLEASE ENTER THE WOLKVOX-TOKEN',
  validateToken: 'PLEASE VALIDATE TOKEN',
  tokenLimit: 'TOKEN LIMIT EXCEEDED',
  simultaneous: 'EXCEEDS THE LIMIT OF SIMULTANEOUS REQUESTS PER TOKEN (2)',
} as const;

/** The HTTP reason phrases wolkvox puts in `error` for failures (api-response-codes table). */
export const ERROR_TEXT: Record<number, string> = {
  400: 'BAD REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT FOUND',
  405: 'METHOD NOT ALLOWED',
  412: 'PRECONDITION FAILED',
  416: 'REQUESTED RANGE NOT SATISFIABLE',
  417: 'EXPECTATION FAILED',
};

/** wolkvox allows this many in-flight requests per token (§3.3). */
export const MAX_CONCURRENT_PER_TOKEN = 2;
