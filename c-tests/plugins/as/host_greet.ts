// host_greet: Extism AssemblyScript PDK plugin calling a user host function.
//
// Import: `hello` from "extism:host/user", (i64) -> i64: takes the handle of a
// string block and returns the handle of a string block.
//
// Export `greet() -> i32`: reads the input string, copies it into a new block
// (handle 0 for empty input), passes it to `hello`, and outputs the returned
// block unchanged (no output if `hello` returns 0). Returns 0.
import { Host, Memory } from "@extism/as-pdk";
import { length } from "@extism/as-pdk/lib/env";

@external("extism:host/user", "hello")
declare function hello(ptr: u64): u64;

export function greet(): i32 {
  const arg = Memory.allocateString(Host.inputString());
  const result = hello(arg.offset);
  if (result != 0) {
    Host.outputMemory(new Memory(result, length(result)));
  }
  return 0;
}
