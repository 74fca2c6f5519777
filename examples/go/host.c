// C side of the Go host functions: cgo forbids definitions in the preamble of a file that
// uses //export, so the registration shim lives here.
#include <extism.h>

// Implemented in Go (extism.go), with the cgo calling convention the header provides for it.
EXTISM_GO_FUNCTION(extismGoBytesFunction);
extern void extismGoFreeHandle(void *handle);

ExtismFunction *example_bytes_function_new(const char *name, uintptr_t handle) {
    const ExtismValType ptr = EXTISM_PTR;
    // EXTISM_GO_FUNCTION has the same ABI as ExtismFunctionType; only the spelling of the
    // pointer types differs.
    return extism_function_new(name, &ptr, 1, &ptr, 1, (ExtismFunctionType)extismGoBytesFunction,
                               (void *)handle, extismGoFreeHandle);
}
