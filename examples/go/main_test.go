package main

import (
	"path/filepath"
	"strings"
	"testing"
)

var pluginsDir = filepath.Join("..", "..", "c-tests", "plugins")

func TestVersion(t *testing.T) {
	if v := Version(); !strings.HasPrefix(v, "1.") {
		t.Fatalf("extism_version() = %q, want 1.x", v)
	}
}

func TestCountVowels(t *testing.T) {
	got, err := countVowels(pluginsDir, "Hello, World!", "aeiou")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`{"count":3,"total":3,"vowels":"aeiouAEIOU"}`,
		`{"count":5,"total":8,"vowels":"aeiouAEIOU"}`,
	}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("count_vowels outputs = %q, want %q", got, want)
	}
}

func TestHostFunction(t *testing.T) {
	before := freedHandles.Load()
	got, err := greet(pluginsDir, "cgo")
	if err != nil {
		t.Fatal(err)
	}
	if want := "Hello from Go, cgo!"; got != want {
		t.Fatalf("call_hello = %q, want %q", got, want)
	}
	// The plugin and the function are freed, so the library released the Go callback once.
	if freed := freedHandles.Load() - before; freed != 1 {
		t.Fatalf("user data released %d times, want 1", freed)
	}
}

func TestHostFunctionEmptyInput(t *testing.T) {
	got, err := greet(pluginsDir, "")
	if err != nil {
		t.Fatal(err)
	}
	if want := "Hello from Go, !"; got != want {
		t.Fatalf("call_hello = %q, want %q", got, want)
	}
}

func TestErrors(t *testing.T) {
	if _, err := NewPlugin([]byte(`{"wasm": [{"path": "nope.wasm"}]}`), nil, false); err == nil ||
		!strings.HasPrefix(err.Error(), "Unable to compile Extism plugin: ") {
		t.Fatalf("missing file: err = %v", err)
	}
	plugin, err := NewPlugin([]byte(`(module (func (export "run")))`), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	defer plugin.Free()
	if _, err := plugin.Call("nope", nil); err == nil || err.Error() != "Function not found: nope" {
		t.Fatalf("unknown function: err = %v", err)
	}
	if out, err := plugin.Call("run", nil); err != nil || len(out) != 0 {
		t.Fatalf("run: out = %q, err = %v", out, err)
	}
}
