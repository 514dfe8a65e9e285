/**
 * Minimal DER: an encoder for the one structure a workload writes (its
 * certificate request) and a reader of tag-length-value elements and their
 * children, with every length checked against its parent. Enough for the few X.509 fields a
 * workload reads itself (a CRL's entries, a certificate's key usage) without
 * loading an X.509 library; anything else about certificates node:crypto reads.
 */

export const DER = { integer: 0x02, bitString: 0x03, octetString: 0x04, oid: 0x06, utf8String: 0x0c, utcTime: 0x17, generalizedTime: 0x18, sequence: 0x30, set: 0x31 } as const;

/** The content octets of ecdsa-with-SHA256 (1.2.840.10045.4.3.2), the only signature algorithm the mesh's CA and workloads use. */
export const OID_ECDSA_WITH_SHA256 = Buffer.from([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]);

export interface DerElement {
  tag: number;
  /** The whole element, header included (what a signature covers). */
  raw: Buffer;
  /** The content octets. */
  content: Buffer;
}

export class DerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DerError';
  }
}

/** One DER element; its content is the concatenation of the parts. */
export function encodeDer(tag: number, ...parts: Buffer[]): Buffer {
  const content = Buffer.concat(parts);
  const n = content.length;
  if (n > 0xffff) throw new RangeError(`DER content of ${n} bytes is longer than the mesh ever encodes`);
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...length]), content]);
}

/** The one element that `bytes` must consist of entirely. */
export function readDer(bytes: Buffer): DerElement {
  const element = elementAt(bytes, 0);
  if (element.raw.length !== bytes.length) throw new DerError(`${bytes.length - element.raw.length} bytes after the DER element`);
  return element;
}

/** The elements inside a constructed element, in order. */
export function childrenOf(parent: DerElement): DerElement[] {
  if ((parent.tag & 0x20) === 0) throw new DerError(`tag 0x${parent.tag.toString(16)} is not constructed`);
  const children: DerElement[] = [];
  for (let offset = 0; offset < parent.content.length; ) {
    const child = elementAt(parent.content, offset);
    children.push(child);
    offset += child.raw.length;
  }
  return children;
}

/** The elements of a SEQUENCE, which `parent` must be. */
export function expectChildren(parent: DerElement, what: string): DerElement[] {
  return childrenOf(expectTag(parent, DER.sequence, what));
}

export function expectTag(element: DerElement | undefined, tag: number, what: string): DerElement {
  if (!element) throw new DerError(`${what} is missing`);
  if (element.tag !== tag) throw new DerError(`${what} has tag 0x${element.tag.toString(16)}, expected 0x${tag.toString(16)}`);
  return element;
}

/** A UTCTime or GeneralizedTime (the two forms X.509 uses, always in UTC, "Z"), as epoch milliseconds. */
export function derTime(element: DerElement | undefined, what: string): number {
  if (!element || (element.tag !== DER.utcTime && element.tag !== DER.generalizedTime)) throw new DerError(`${what} is not a time`);
  const text = element.content.toString('latin1');
  const match = element.tag === DER.utcTime ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text) : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!match) throw new DerError(`${what} "${text}" is not a UTC time`);
  const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number];
  // RFC 5280 §4.1.2.5.1: a two-digit year below 50 is 20YY.
  const year = element.tag === DER.utcTime ? (y < 50 ? 2000 + y : 1900 + y) : y;
  return Date.UTC(year, mo - 1, d, h, mi, s);
}

function elementAt(bytes: Buffer, offset: number): DerElement {
  if (offset + 2 > bytes.length) throw new DerError('DER element cut short');
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte DER tags are not used here');
  let length = bytes[offset + 1]!;
  let header = 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    if (octets === 0) throw new DerError('indefinite length is not DER');
    if (octets > 4) throw new DerError('DER length longer than 4 octets');
    if (offset + 2 + octets > bytes.length) throw new DerError('DER length cut short');
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + bytes[offset + 2 + i]!;
    if (length < 0x80 || (octets > 1 && bytes[offset + 2] === 0)) throw new DerError('DER length not in its shortest form');
    header += octets;
  }
  const end = offset + header + length;
  if (end > bytes.length) throw new DerError(`DER element of ${length} bytes runs past its container`);
  return { tag, raw: bytes.subarray(offset, end), content: bytes.subarray(offset + header, end) };
}
