// http_fetch: Extism AssemblyScript PDK plugin.
//
// Export `fetch() -> i32`:
//   - input: JSON {"url": "...", "method": "GET"|"POST"|..., "body": "..." (optional),
//     "headers": {"name": "value", ...} (optional)}; method defaults to GET;
//   - performs the request with `http_request` (request JSON built from url, method
//     and headers; the body, when present and non-empty, as the body block);
//   - output: {"status":<code>,"body":"<response body as text>"}, plus
//     ,"headers":{...} (the host's JSON object, verbatim) when `http_headers`
//     returns a block, i.e. when the host enabled response headers;
//   - returns 0; on malformed input sets the error "invalid request JSON" and
//     returns 1. Host-side failures (host not allowed, transport) fail the call.
import { Host, Memory } from "@extism/as-pdk";
import { error_set, free, http_request, length } from "@extism/as-pdk/lib/env";
import { JsonReader, jsonString } from "./json";

@external("extism:host/env", "http_status_code")
declare function http_status_code(): i32;

@external("extism:host/env", "http_headers")
declare function http_headers(): u64;

function blockText(h: u64): string {
  if (h == 0) return "";
  return new Memory(h, length(h)).toString();
}

export function fetch(): i32 {
  const r = new JsonReader(Host.inputString());
  let url = "";
  let method = "GET";
  let body: string | null = null;
  const hkeys = new Array<string>();
  const hvals = new Array<string>();

  r.expect(0x7b);
  if (!r.eat(0x7d)) {
    while (r.ok) {
      const key = r.readString();
      r.expect(0x3a);
      if (key == "url") url = r.readString();
      else if (key == "method") method = r.readString();
      else if (key == "body") body = r.readString();
      else if (key == "headers") r.readStringMap(hkeys, hvals);
      else r.skipValue();
      if (r.eat(0x7d)) break;
      r.expect(0x2c);
    }
  }
  if (!r.ok || url.length == 0) {
    error_set(Memory.allocateString("invalid request JSON").offset);
    return 1;
  }

  let req = '{"url":' + jsonString(url) + ',"method":' + jsonString(method) + ',"headers":{';
  for (let i = 0; i < hkeys.length; i++) {
    if (i > 0) req += ",";
    req += jsonString(hkeys[i]) + ":" + jsonString(hvals[i]);
  }
  req += "}}";

  const reqMem = Memory.allocateBytes(Uint8Array.wrap(String.UTF8.encode(req)));
  let bodyHandle: u64 = 0;
  if (body !== null && body.length > 0) {
    bodyHandle = Memory.allocateBytes(Uint8Array.wrap(String.UTF8.encode(body))).offset;
  }

  const resp = http_request(reqMem.offset, bodyHandle);
  const status = http_status_code();
  const text = blockText(resp);

  let out = '{"status":' + status.toString() + ',"body":' + jsonString(text);
  const hh = http_headers();
  if (hh != 0) {
    out += ',"headers":' + blockText(hh);
    free(hh);
  }
  out += "}";
  Host.output(Uint8Array.wrap(String.UTF8.encode(out)));
  return 0;
}
