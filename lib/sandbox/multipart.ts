/**
 * Decoding form bodies (cases/insert.php and cases/update.php take multipart/form-data) with the
 * WHATWG parser built into Node, so the sandbox does not carry a multipart parser of its own.
 */
import { createHash } from 'node:crypto';
import type { RecordedFile, RecordedForm } from './types.ts';

const FORM_TYPES = /^\s*(?:multipart\/form-data|application\/x-www-form-urlencoded)\s*(?:;|$)/i;

export const isFormContentType = (contentType: string): boolean => FORM_TYPES.test(contentType);

/** Text parts by name (repeats kept in order) and every file part byte for byte; undefined if malformed. */
export async function parseFormBody(contentType: string, body: Buffer): Promise<RecordedForm | undefined> {
  const request = new Request('http://sandbox.invalid/', {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: new Uint8Array(body),
  });
  let data: FormData;
  try {
    data = await request.formData();
  } catch {
    return undefined;
  }
  const fields: Record<string, string[]> = {};
  const files: RecordedFile[] = [];
  for (const [name, value] of data) {
    if (typeof value === 'string') {
      fields[name] ??= [];
      fields[name].push(value);
      continue;
    }
    const bytes = Buffer.from(await value.arrayBuffer());
    files.push({
      field: name,
      filename: value.name,
      contentType: value.type,
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      data: bytes,
    });
  }
  return { fields, files };
}
