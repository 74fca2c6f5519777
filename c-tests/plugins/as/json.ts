// Minimal JSON support shared by the AssemblyScript plugins: string escaping for
// output, and a reader for flat objects whose values are strings or objects of
// strings (other values are skipped).

function hexDigit(n: i32): string {
  return String.fromCharCode(n < 10 ? 0x30 + n : 0x57 + n);
}

// Returns `s` as a quoted JSON string.
export function jsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x22) out += '\\"';
    else if (c == 0x5c) out += "\\\\";
    else if (c == 0x0a) out += "\\n";
    else if (c == 0x0d) out += "\\r";
    else if (c == 0x09) out += "\\t";
    else if (c == 0x08) out += "\\b";
    else if (c == 0x0c) out += "\\f";
    else if (c < 0x20) out += "\\u00" + hexDigit(c >> 4) + hexDigit(c & 15);
    else out += String.fromCharCode(c);
  }
  return out + '"';
}

export class JsonReader {
  s: string;
  pos: i32 = 0;
  ok: bool = true;

  constructor(s: string) {
    this.s = s;
  }

  fail(): void {
    this.ok = false;
    this.pos = this.s.length;
  }

  ws(): void {
    while (this.pos < this.s.length) {
      const c = this.s.charCodeAt(this.pos);
      if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) break;
      this.pos++;
    }
  }

  // Next non-space character code, or -1 at the end.
  peek(): i32 {
    this.ws();
    return this.pos < this.s.length ? this.s.charCodeAt(this.pos) : -1;
  }

  eat(c: i32): bool {
    if (this.peek() == c) {
      this.pos++;
      return true;
    }
    return false;
  }

  expect(c: i32): void {
    if (!this.eat(c)) this.fail();
  }

  hex4(): i32 {
    if (this.pos + 4 > this.s.length) {
      this.fail();
      return 0;
    }
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const c = this.s.charCodeAt(this.pos + k);
      let d: i32;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x37;
      else {
        this.fail();
        return 0;
      }
      v = (v << 4) | d;
    }
    this.pos += 4;
    return v;
  }

  readString(): string {
    if (this.peek() != 0x22) {
      this.fail();
      return "";
    }
    this.pos++;
    let out = "";
    while (this.pos < this.s.length) {
      const c = this.s.charCodeAt(this.pos++);
      if (c == 0x22) return out;
      if (c != 0x5c) {
        out += String.fromCharCode(c);
        continue;
      }
      if (this.pos >= this.s.length) break;
      const e = this.s.charCodeAt(this.pos++);
      if (e == 0x6e) out += "\n";
      else if (e == 0x72) out += "\r";
      else if (e == 0x74) out += "\t";
      else if (e == 0x62) out += "\b";
      else if (e == 0x66) out += "\f";
      else if (e == 0x75) out += String.fromCharCode(this.hex4());
      else out += String.fromCharCode(e);
    }
    this.fail();
    return "";
  }

  skipValue(): void {
    const c = this.peek();
    if (c == 0x22) {
      this.readString();
    } else if (c == 0x7b || c == 0x5b) {
      const close = c == 0x7b ? 0x7d : 0x5d;
      this.pos++;
      if (this.eat(close)) return;
      while (this.ok) {
        if (c == 0x7b) {
          this.readString();
          this.expect(0x3a);
        }
        this.skipValue();
        if (this.eat(close)) return;
        this.expect(0x2c);
      }
    } else if (c == -1) {
      this.fail();
    } else {
      const start = this.pos;
      while (this.pos < this.s.length) {
        const d = this.s.charCodeAt(this.pos);
        if (d == 0x2c || d == 0x7d || d == 0x5d || d == 0x20 || d == 0x09 || d == 0x0a || d == 0x0d) break;
        this.pos++;
      }
      if (this.pos == start) this.fail();
    }
  }

  // Reads an object of string values into parallel key/value arrays; other values are skipped.
  readStringMap(keys: Array<string>, values: Array<string>): void {
    this.expect(0x7b);
    if (this.eat(0x7d)) return;
    while (this.ok) {
      const k = this.readString();
      this.expect(0x3a);
      if (this.peek() == 0x22) {
        keys.push(k);
        values.push(this.readString());
      } else {
        this.skipValue();
      }
      if (this.eat(0x7d)) return;
      this.expect(0x2c);
    }
  }
}
