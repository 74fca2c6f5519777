// Command extism-go-example runs two test plugins through libextism from Go: count_vowels,
// and host_fn_hello, whose call_hello passes its input to a host function written in Go.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

// countVowels runs count_vowels.wasm (loaded through a manifest) once per input and returns
// each output.
func countVowels(pluginsDir string, inputs ...string) ([]string, error) {
	manifest := fmt.Sprintf(`{"wasm": [{"path": %q}]}`, filepath.Join(pluginsDir, "count_vowels.wasm"))
	plugin, err := NewPlugin([]byte(manifest), nil, false)
	if err != nil {
		return nil, err
	}
	defer plugin.Free()
	var outputs []string
	for _, input := range inputs {
		out, err := plugin.Call("count_vowels", []byte(input))
		if err != nil {
			return nil, err
		}
		outputs = append(outputs, string(out))
	}
	return outputs, nil
}

// greet calls host_fn_hello.wasm's call_hello, which hands input to the Go host function
// hello_world and outputs what it returns.
func greet(pluginsDir string, input string) (string, error) {
	wasm, err := os.ReadFile(filepath.Join(pluginsDir, "host_fn_hello.wasm"))
	if err != nil {
		return "", err
	}
	hello, err := NewFunction("hello_world", "", func(in []byte) []byte {
		return []byte("Hello from Go, " + string(in) + "!")
	})
	if err != nil {
		return "", err
	}
	defer hello.Free()
	plugin, err := NewPlugin(wasm, []*Function{hello}, false)
	if err != nil {
		return "", err
	}
	defer plugin.Free()
	out, err := plugin.Call("call_hello", []byte(input))
	return string(out), err
}

func main() {
	pluginsDir := flag.String("plugins", filepath.Join("..", "..", "c-tests", "plugins"),
		"folder holding count_vowels.wasm and host_fn_hello.wasm")
	flag.Parse()

	fmt.Println("libextism", Version())
	counts, err := countVowels(*pluginsDir, "Hello, World!")
	if err != nil {
		fmt.Fprintln(os.Stderr, "count_vowels:", err)
		os.Exit(1)
	}
	fmt.Println("count_vowels:", counts[0])
	greeting, err := greet(*pluginsDir, "cgo")
	if err != nil {
		fmt.Fprintln(os.Stderr, "call_hello:", err)
		os.Exit(1)
	}
	fmt.Println("call_hello:", greeting)
}
