// count_vowels: Extism AssemblyScript PDK plugin.
//
// Export `count_vowels() -> i32`:
//   - input: a UTF-8 string;
//   - vowel set: config key `vowels` if present and non-empty, else "aeiouAEIOU";
//   - counts the characters (Unicode code points) of the input that are in the set;
//   - reads var `total` (decimal ASCII, absent = 0), adds the count, and stores the
//     new total back in `total` as decimal ASCII;
//   - output: {"count":N,"total":T,"vowels":"<set>"} (no spaces, keys in this order,
//     the set JSON-escaped); returns 0.
import { Config, Host, Var } from "@extism/as-pdk";
import { jsonString } from "./json";

function parseDecimal(s: string | null): u64 {
  if (s === null) return 0;
  let n: u64 = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) break;
    n = n * 10 + <u64>(c - 0x30);
  }
  return n;
}

function contains(set: string, cp: i32): bool {
  let i = 0;
  while (i < set.length) {
    const c = set.codePointAt(i);
    if (c == cp) return true;
    i += c > 0xffff ? 2 : 1;
  }
  return false;
}

export function count_vowels(): i32 {
  const input = Host.inputString();
  const configured = Config.get("vowels");
  const vowels: string = configured === null ? "aeiouAEIOU" : configured;

  let count: u64 = 0;
  let i = 0;
  while (i < input.length) {
    const cp = input.codePointAt(i);
    if (contains(vowels, cp)) count++;
    i += cp > 0xffff ? 2 : 1;
  }

  const total = parseDecimal(Var.getString("total")) + count;
  Var.set("total", Uint8Array.wrap(String.UTF8.encode(total.toString())));

  const out =
    '{"count":' +
    count.toString() +
    ',"total":' +
    total.toString() +
    ',"vowels":' +
    jsonString(vowels) +
    "}";
  Host.output(Uint8Array.wrap(String.UTF8.encode(out)));
  return 0;
}
