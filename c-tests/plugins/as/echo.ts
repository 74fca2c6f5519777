// echo: Extism AssemblyScript PDK plugin.
//
// Export `echo() -> i32`: outputs its input unchanged (read with Host.input, written with
// Host.output); returns 0.
import { Host } from "@extism/as-pdk";

export function echo(): i32 {
  Host.output(Host.input());
  return 0;
}
