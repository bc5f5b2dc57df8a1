// A strict reader of the protobuf wire format (varints, length-delimited
// fields, fixed 32/64-bit fields) over one Buffer. Strict where a general
// decoder is lenient: a length that runs past its enclosing message, a
// truncated varint, a group or an unknown wire type is an error, never a
// silently shortened value. The caller turns any error into a refusal.

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_FIXED32 = 5;

/** The tag of a field: its number and wire type, as it appears on the wire. */
export function fieldTag(field: number, wireType: number): number {
  return (field << 3) | wireType;
}

export class WireError extends Error {
  override readonly name = 'WireError';
}

export class WireReader {
  pos = 0;

  constructor(readonly buf: Buffer) {}

  /** A varint that must fit in 32 bits (tags, lengths, enums); a longer one is an error. */
  uint32(end: number): number {
    const buf = this.buf;
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.pos >= end) throw new WireError('truncated varint');
      const byte = buf[this.pos++] as number;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) {
        if (value > 0xffffffff) throw new WireError('varint larger than 32 bits');
        return value;
      }
    }
    throw new WireError('varint larger than 32 bits');
  }

  /** Reads a length prefix and returns where that field ends; it must end within `end`. */
  lengthEnd(end: number): number {
    const length = this.uint32(end);
    const fieldEnd = this.pos + length;
    if (fieldEnd > end) throw new WireError('length runs past the end of its message');
    return fieldEnd;
  }

  /** A length-delimited UTF-8 string (invalid sequences become U+FFFD, as Buffer decodes them). */
  string(end: number): string {
    const fieldEnd = this.lengthEnd(end);
    const text = this.buf.toString('utf8', this.pos, fieldEnd);
    this.pos = fieldEnd;
    return text;
  }

  /** A length-delimited byte string, as a view of the message's buffer (no copy). */
  bytes(end: number): Buffer {
    const fieldEnd = this.lengthEnd(end);
    const view = this.buf.subarray(this.pos, fieldEnd);
    this.pos = fieldEnd;
    return view;
  }

  /** Skips the value of a field this decoder does not read. */
  skip(wireType: number, end: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        for (let n = 0; ; n++) {
          if (this.pos >= end) throw new WireError('truncated varint');
          if (n >= 10) throw new WireError('varint longer than 10 bytes');
          if ((this.buf[this.pos++] as number) < 0x80) return;
        }
      case WIRE_FIXED64:
        this.advance(8, end);
        return;
      case WIRE_LEN:
        this.pos = this.lengthEnd(end);
        return;
      case WIRE_FIXED32:
        this.advance(4, end);
        return;
      default:
        // 3 and 4 are proto2 groups, which no Envoy message uses; 6 and 7 do not exist.
        throw new WireError(`unsupported wire type ${wireType}`);
    }
  }

  private advance(n: number, end: number): void {
    if (this.pos + n > end) throw new WireError('truncated fixed-width field');
    this.pos += n;
  }
}
