import { describe, expect, it } from 'vitest';
import { childrenOf, DER, DerError, derTime, encodeDer, readDer } from './der.ts';

const time = (tag: number, text: string) => readDer(Buffer.concat([Buffer.from([tag, text.length]), Buffer.from(text, 'latin1')]));

describe('der', () => {
  it('reads nested elements with long-form lengths', () => {
    const inner = Buffer.concat([Buffer.from([0x04, 0x81, 0xc8]), Buffer.alloc(200, 7)]);
    const outer = readDer(Buffer.concat([Buffer.from([0x30, 0x81, inner.length]), inner]));
    const [octets] = childrenOf(outer);
    expect({ tag: octets!.tag, length: octets!.content.length, raw: octets!.raw.length }).toEqual({ tag: DER.octetString, length: 200, raw: 203 });
  });

  it('reads back what it encodes, in short and long length forms', () => {
    for (const size of [0, 1, 127, 128, 255, 256, 0xfff0]) {
      const encoded = encodeDer(DER.sequence, encodeDer(DER.octetString, Buffer.alloc(size, 1)));
      const [inner] = childrenOf(readDer(encoded));
      expect({ tag: inner!.tag, size: inner!.content.length }).toEqual({ tag: DER.octetString, size });
    }
    expect(() => encodeDer(DER.octetString, Buffer.alloc(0x10000))).toThrow(RangeError);
  });

  it.each([
    ['a cut header', [0x30]],
    ['a length past the end', [0x30, 0x05, 0x00]],
    ['an indefinite length', [0x30, 0x80, 0x00, 0x00]],
    ['a long form for a short length', [0x04, 0x81, 0x01, 0x00]],
    ['a leading zero length octet', [0x04, 0x82, 0x00, 0x81, ...new Array(0x81).fill(0)]],
    ['a five-octet length', [0x04, 0x85, 0, 0, 0, 0, 1, 0]],
    ['trailing bytes', [0x05, 0x00, 0x00]],
    ['a multi-byte tag', [0x1f, 0x81, 0x00]],
  ])('refuses %s', (_name, bytes) => {
    expect(() => readDer(Buffer.from(bytes))).toThrow(DerError);
  });

  it('refuses children of a primitive element', () => {
    expect(() => childrenOf(readDer(Buffer.from([0x04, 0x00])))).toThrow(/not constructed/);
  });

  it('reads UTCTime with the RFC 5280 century rule and GeneralizedTime, UTC only', () => {
    expect(new Date(derTime(time(DER.utcTime, '491231235959Z'), 't')).toISOString()).toBe('2049-12-31T23:59:59.000Z');
    expect(new Date(derTime(time(DER.utcTime, '500101000000Z'), 't')).toISOString()).toBe('1950-01-01T00:00:00.000Z');
    expect(new Date(derTime(time(DER.generalizedTime, '20991231120000Z'), 't')).toISOString()).toBe('2099-12-31T12:00:00.000Z');
    expect(() => derTime(time(DER.utcTime, '491231235959+0100'), 'thisUpdate')).toThrow(/thisUpdate .* is not a UTC time/);
    expect(() => derTime(readDer(Buffer.from([0x02, 0x01, 0x00])), 'thisUpdate')).toThrow(/thisUpdate is not a time/);
  });
});
