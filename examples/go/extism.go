package main

// A small Go binding over the libextism C API: plugins and host functions that take one
// block of bytes and return one.

/*
#cgo LDFLAGS: -lextism
#include <extism.h>
#include <stdlib.h>

ExtismFunction *example_bytes_function_new(const char *name, uintptr_t handle);
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime/cgo"
	"sync/atomic"
	"unsafe"
)

// Version is the version string of the loaded libextism.
func Version() string {
	return C.GoString(C.extism_version())
}

// BytesFunc implements a host function of type (i64) -> i64: it receives the bytes of the
// block the guest passed and returns the bytes of the block handed back to the guest.
type BytesFunc func(input []byte) []byte

// Function is a host function ready to be registered with a plugin.
type Function struct {
	ptr *C.ExtismFunction
}

// freedHandles counts the user-data handles released by the library.
var freedHandles atomic.Int64

// NewFunction creates a host function imported as name from the namespace (empty: the
// default, extism:host/user). The library owns the Go callback from here on and releases it
// once no plugin uses it.
func NewFunction(name, namespace string, fn BytesFunc) (*Function, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	handle := cgo.NewHandle(fn)
	ptr := C.example_bytes_function_new(cname, C.uintptr_t(handle))
	if ptr == nil {
		handle.Delete()
		return nil, errors.New("extism_function_new failed")
	}
	if namespace != "" {
		cns := C.CString(namespace)
		defer C.free(unsafe.Pointer(cns))
		C.extism_function_set_namespace(ptr, cns)
	}
	return &Function{ptr: ptr}, nil
}

// Free releases the function wrapper. It must always be called, registered or not.
func (f *Function) Free() {
	if f.ptr != nil {
		C.extism_function_free(f.ptr)
		f.ptr = nil
	}
}

// Plugin is a loaded Extism plugin.
type Plugin struct {
	ptr *C.ExtismPlugin
}

// NewPlugin creates a plugin from wasm, WAT or a manifest, registering the functions.
func NewPlugin(wasm []byte, functions []*Function, wasi bool) (*Plugin, error) {
	if len(wasm) == 0 {
		return nil, errors.New("empty plugin")
	}
	var fnPtrs **C.ExtismFunction
	ptrs := make([]*C.ExtismFunction, len(functions))
	for i, f := range functions {
		ptrs[i] = f.ptr
	}
	if len(ptrs) > 0 {
		fnPtrs = &ptrs[0]
	}
	var errmsg *C.char
	ptr := C.extism_plugin_new((*C.uint8_t)(unsafe.Pointer(&wasm[0])), C.ExtismSize(len(wasm)),
		fnPtrs, C.ExtismSize(len(ptrs)), C.bool(wasi), &errmsg)
	if ptr == nil {
		msg := C.GoString(errmsg)
		C.extism_plugin_new_error_free(errmsg)
		return nil, errors.New(msg)
	}
	return &Plugin{ptr: ptr}, nil
}

// Call runs the export name with input and returns a copy of its output.
func (p *Plugin) Call(name string, input []byte) ([]byte, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var data *C.uint8_t
	if len(input) > 0 {
		data = (*C.uint8_t)(unsafe.Pointer(&input[0]))
	}
	rc := C.extism_plugin_call(p.ptr, cname, data, C.ExtismSize(len(input)))
	if msg := C.extism_plugin_error(p.ptr); msg != nil {
		return nil, errors.New(C.GoString(msg))
	}
	if rc != C.EXTISM_SUCCESS {
		return nil, fmt.Errorf("plugin call failed with code %d", int32(rc))
	}
	n := C.extism_plugin_output_length(p.ptr)
	return C.GoBytes(unsafe.Pointer(C.extism_plugin_output_data(p.ptr)), C.int(n)), nil
}

// Free releases the plugin.
func (p *Plugin) Free() {
	if p.ptr != nil {
		C.extism_plugin_free(p.ptr)
		p.ptr = nil
	}
}

// ExtismVal's value is a C union, which cgo exposes as raw bytes.
func valI64(v *C.ExtismVal) int64 {
	return *(*int64)(unsafe.Pointer(&v.v))
}

func setValI64(v *C.ExtismVal, x int64) {
	*(*int64)(unsafe.Pointer(&v.v)) = x
}

// readBlock copies the Extism memory block whose handle is h (nil for handle 0).
func readBlock(plugin *C.ExtismCurrentPlugin, h int64) []byte {
	n := C.extism_current_plugin_memory_length(plugin, C.ExtismMemoryHandle(h))
	if n == 0 {
		return nil
	}
	base := unsafe.Pointer(C.extism_current_plugin_memory(plugin))
	return C.GoBytes(unsafe.Add(base, h), C.int(n))
}

// writeBlock allocates a block holding data and returns its handle (0 for no data).
func writeBlock(plugin *C.ExtismCurrentPlugin, data []byte) int64 {
	if len(data) == 0 {
		return 0
	}
	h := C.extism_current_plugin_memory_alloc(plugin, C.ExtismSize(len(data)))
	if h == 0 {
		return 0
	}
	// The base may move on allocation, so it is read after alloc.
	base := unsafe.Pointer(C.extism_current_plugin_memory(plugin))
	copy(unsafe.Slice((*byte)(unsafe.Add(base, h)), len(data)), data)
	return int64(h)
}

//export extismGoBytesFunction
func extismGoBytesFunction(plugin unsafe.Pointer, inputs *C.ExtismVal, nInputs C.ExtismSize,
	outputs *C.ExtismVal, nOutputs C.ExtismSize, userData C.uintptr_t) {
	current := (*C.ExtismCurrentPlugin)(plugin)
	fn := cgo.Handle(userData).Value().(BytesFunc)
	ins := unsafe.Slice(inputs, int(nInputs))
	outs := unsafe.Slice(outputs, int(nOutputs))
	var input []byte
	if len(ins) > 0 {
		input = readBlock(current, valI64(&ins[0]))
	}
	result := writeBlock(current, fn(input))
	if len(outs) > 0 {
		setValI64(&outs[0], result)
	}
}

//export extismGoFreeHandle
func extismGoFreeHandle(handle unsafe.Pointer) {
	cgo.Handle(uintptr(handle)).Delete()
	freedHandles.Add(1)
}
