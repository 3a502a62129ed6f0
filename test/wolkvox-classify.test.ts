import { describe, expect, it } from 'vitest';
import { classifyAnswer } from '#lib/wolkvox/classify.ts';
import { MESSAGES } from '#lib/wolkvox/vendor.ts';

const envelope = (code: number | string, msg: string, error = 'null') =>
  JSON.stringify({ code, error, msg, data: [] });

describe('classifyAnswer', () => {
  it.each([
    [200, envelope(200, MESSAGES.updated)],
    [200, envelope('200', MESSAGES.found(0))],
    [200, envelope(201, MESSAGES.created)],
    [200, JSON.stringify({ code: 200, error: null, msg: 'ok', data: {} })],
  ])('done: HTTP %i %s', (status, body) => {
    expect(classifyAnswer(status, body).kind).toBe('done');
  });

  it.each([
    ['transient', 403, envelope(403, MESSAGES.simultaneous, 'FORBIDDEN')],
    ['quota', 403, envelope(403, MESSAGES.tokenLimit, 'FORBIDDEN')],
    ['auth', 403, envelope(403, MESSAGES.validateToken, 'FORBIDDEN')],
    ['auth', 401, envelope(401, MESSAGES.enterToken, 'UNAUTHORIZED')],
    ['auth', 401, 'Unauthorized'],
    ['transient', 403, envelope(403, 'THE SYSTEM IS IN MAINTENANCE', 'FORBIDDEN')],
    ['transient', 403, '<html><body>Forbidden</body></html>'],
    ['permanent', 400, envelope(400, MESSAGES.parametersRequired, 'BAD REQUEST')],
    ['permanent', 400, envelope(400, MESSAGES.apiDoesNotExist, 'BAD REQUEST')],
    ['permanent', 404, envelope(404, 'RECORD NOT FOUND', 'NOT FOUND')],
    ['permanent', 405, envelope(405, 'METHOD NOT ALLOWED', 'METHOD NOT ALLOWED')],
    ['permanent', 412, envelope(412, 'whatever', 'PRECONDITION FAILED')],
    ['permanent', 404, '<html>Not Found</html>'],
    ['transient', 500, envelope(500, 'oops', 'INTERNAL')],
    ['transient', 502, '<html><head><title>502 Bad Gateway</title></head></html>'],
    ['transient', 504, ''],
    ['transient', 429, 'Too Many Requests'],
    ['transient', 200, '<html>maintenance page</html>'],
    ['transient', 200, ''],
    ['transient', 200, '{"code": 200, "error": "null", "msg": "trunc'],
  ])('%s: HTTP %i %s', (kind, status, body) => {
    expect(classifyAnswer(status, body).kind).toBe(kind);
  });

  it('trusts the body when HTTP says 200 but code says failure, with code as a string', () => {
    const answer = classifyAnswer(200, envelope('400', MESSAGES.parametersRequired, 'BAD REQUEST'));
    expect(answer).toMatchObject({ kind: 'permanent', code: 400, msg: MESSAGES.parametersRequired });
    expect(classifyAnswer(200, envelope('403', MESSAGES.tokenLimit)).kind).toBe('quota');
  });

  it('trusts the status when the body says 200 but HTTP says failure', () => {
    expect(classifyAnswer(500, envelope(200, MESSAGES.updated)).kind).toBe('transient');
    expect(classifyAnswer(400, envelope(200, MESSAGES.updated)).kind).toBe('permanent');
  });

  it('a success code with an error text is not done', () => {
    expect(classifyAnswer(200, envelope(200, MESSAGES.updated, 'something broke')).kind).not.toBe('done');
  });

  it('describes HTML bodies without markup and keeps wolkvox message', () => {
    const answer = classifyAnswer(502, '<html><body><h1>502 Bad Gateway</h1></body></html>');
    expect(answer.kind !== 'done' && answer.reason).toBe('HTTP 502, unexpected body: 502 Bad Gateway');
    const known = classifyAnswer(403, envelope(403, MESSAGES.tokenLimit, 'FORBIDDEN'));
    expect(known.kind !== 'done' && known.reason).toBe(`HTTP 403, code 403: ${MESSAGES.tokenLimit}`);
  });
});
