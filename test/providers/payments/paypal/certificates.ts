/**
 * Self-signed X.509 certificates for the PayPal tests, built here because Node can parse
 * certificates (crypto.X509Certificate) but not make them. A certificate is a few DER structures
 * (RFC 5280 §4.1) signed with node:crypto: no dependency, no openssl binary, and every certificate
 * made here is parsed back by Node (OpenSSL) before a test uses it. Test and local use only.
 */
import { generateKeyPairSync, type KeyObject, sign as signBytes, X509Certificate } from 'node:crypto';

/** DER length octets: short form below 128, long form above. */
function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

const tlv = (tag: number, ...content: Buffer[]) => {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
};
const sequence = (...content: Buffer[]) => tlv(0x30, ...content);
const set = (...content: Buffer[]) => tlv(0x31, ...content);
/** A non-negative INTEGER from big-endian bytes, minimally encoded (DER): a leading 0 only to keep it positive. */
function integer(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const minimal = bytes.subarray(start);
  return tlv(0x02, (minimal[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), minimal]) : minimal);
}

function objectId(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number);
  const out = [40 * first + second];
  for (const arc of rest) {
    const base128 = [arc % 128];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) base128.unshift((v % 128) | 0x80);
    out.push(...base128);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime through 2049, GeneralizedTime after (RFC 5280 §4.1.2.5). */
function time(at: Date): Buffer {
  const digits = at.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const year = at.getUTCFullYear();
  return year >= 1950 && year < 2050
    ? tlv(0x17, Buffer.from(`${digits.slice(2)}Z`))
    : tlv(0x18, Buffer.from(`${digits}Z`));
}

const ATTRIBUTES = { CN: '2.5.4.3', O: '2.5.4.10', OU: '2.5.4.11' } as const;
export type Subject = Partial<Record<keyof typeof ATTRIBUTES, string>>;

const name = (subject: Subject) =>
  sequence(
    ...(Object.keys(ATTRIBUTES) as (keyof typeof ATTRIBUTES)[])
      .filter((key) => subject[key] !== undefined)
      .map((key) => set(sequence(objectId(ATTRIBUTES[key]), tlv(0x0c, Buffer.from(subject[key] ?? ''))))),
  );

/** sha256WithRSAEncryption (with its NULL parameters) or ecdsa-with-SHA256, by the key's type. */
const signatureAlgorithm = (key: KeyObject) =>
  key.asymmetricKeyType === 'rsa'
    ? sequence(objectId('1.2.840.113549.1.1.11'), tlv(0x05))
    : sequence(objectId('1.2.840.10045.4.3.2'));

export interface CertificateOptions {
  subject: Subject;
  notBefore: Date;
  notAfter: Date;
  /** subjectAltName dNSName entries. */
  dnsNames?: readonly string[];
  /** Defaults to a fresh 2048-bit RSA key pair. */
  keys?: { publicKey: KeyObject; privateKey: KeyObject };
  serial?: number;
}

export interface TestCertificate {
  /** The certificate, PEM (what PayPal's certificate URL serves). */
  pem: string;
  /** The key that signs as this certificate's owner (the transmission signatures). */
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** A self-signed v3 certificate, parsed back by Node before it is returned. */
export function selfSignedCertificate(options: CertificateOptions): TestCertificate {
  const { publicKey, privateKey } =
    options.keys ?? generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  const algorithm = signatureAlgorithm(privateKey);
  const serial = Buffer.alloc(8);
  serial.writeBigUInt64BE(BigInt(options.serial ?? Date.now()));
  const extensions =
    options.dnsNames && options.dnsNames.length > 0
      ? [
          tlv(
            0xa3,
            sequence(
              sequence(
                objectId('2.5.29.17'),
                tlv(0x04, sequence(...options.dnsNames.map((dns) => tlv(0x82, Buffer.from(dns))))),
              ),
            ),
          ),
        ]
      : [];
  const tbs = sequence(
    tlv(0xa0, integer(Buffer.from([2]))),
    integer(serial),
    algorithm,
    name(options.subject),
    sequence(time(options.notBefore), time(options.notAfter)),
    name(options.subject),
    publicKey.export({ type: 'spki', format: 'der' }),
    ...extensions,
  );
  const signature = signBytes('sha256', tbs, privateKey);
  const der = sequence(tbs, algorithm, tlv(0x03, Buffer.from([0]), signature));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  const pem = `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
  const parsed = new X509Certificate(pem);
  if (!parsed.verify(publicKey)) throw new Error('the generated certificate does not verify');
  return { pem, privateKey, publicKey };
}

/** The subject PayPal's own webhook certificates carry (live; the sandbox's adds `.sandbox`). */
export const PAYPAL_SUBJECT_CN = 'messageverificationcerts.paypal.com';

/** A certificate in PayPal's name, valid around `at`: what the verifier accepts when served from PayPal's host. */
export function paypalLikeCertificate(
  at: Date,
  overrides: Partial<CertificateOptions> = {},
): TestCertificate {
  const day = 86_400_000;
  return selfSignedCertificate({
    subject: { O: 'wolkvox-webhooks test certificate, not PayPal', CN: PAYPAL_SUBJECT_CN },
    dnsNames: [PAYPAL_SUBJECT_CN],
    notBefore: new Date(at.getTime() - 30 * day),
    notAfter: new Date(at.getTime() + 365 * day),
    ...overrides,
  });
}
