// Shared abort handler for the AssemblyScript plugins (selected with
// `asc --use abort=abort/pluginAbort`). It replaces AssemblyScript's default
// `env.abort` import: it sets the Extism error to
// "abort: <message> (<file>:<line>:<column>)" and traps.
import { Memory } from "@extism/as-pdk";
import { error_set } from "@extism/as-pdk/lib/env";

function pluginAbort(
  message: string | null,
  fileName: string | null,
  lineNumber: u32,
  columnNumber: u32,
): void {
  const text =
    "abort: " +
    (message === null ? "" : message) +
    " (" +
    (fileName === null ? "" : fileName) +
    ":" +
    lineNumber.toString() +
    ":" +
    columnNumber.toString() +
    ")";
  error_set(Memory.allocateString(text).offset);
  unreachable();
}
