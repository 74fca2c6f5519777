// Runs two test plugins through libextism from C++: count_vowels, compiled once and
// instantiated twice, and host_fn_hello, whose call_hello passes its input to a host function
// written in C++. Prints one line per result; exits non-zero on any failure.
//
//   extism-cpp-example PLUGINS_DIR

#include "extism.hpp"

#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::string read_file(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw extism::Error("cannot read " + path);
    }
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

int checks_failed = 0;

void expect(const std::string &what, const std::string &got, const std::string &want) {
    std::cout << what << ": " << got << "\n";
    if (got != want) {
        std::cerr << "FAIL " << what << ": expected " << want << "\n";
        ++checks_failed;
    }
}

} // namespace

int main(int argc, char **argv) {
    if (argc != 2) {
        std::cerr << "usage: " << argv[0] << " PLUGINS_DIR\n";
        return 2;
    }
    const std::string plugins = argv[1];
    try {
        std::cout << "libextism " << extism::version() << "\n";

        // One compilation, two plugins with their own vars; both outlive the compiled plugin
        // once they have been moved out of this scope.
        std::vector<extism::Plugin> counters;
        {
            const std::string manifest =
                "{\"wasm\": [{\"path\": \"" + plugins + "/count_vowels.wasm\"}]}";
            extism::CompiledPlugin compiled(manifest);
            counters.emplace_back(compiled);
            extism::Plugin second(compiled);
            counters.push_back(std::move(second));
        }
        expect("count_vowels", counters[0].call("count_vowels", "Hello, World!"),
               R"({"count":3,"total":3,"vowels":"aeiouAEIOU"})");
        expect("count_vowels again", counters[0].call("count_vowels", "aeiou"),
               R"({"count":5,"total":8,"vowels":"aeiouAEIOU"})");
        expect("count_vowels, second plugin", counters[1].call("count_vowels", "Hello, World!"),
               R"({"count":3,"total":3,"vowels":"aeiouAEIOU"})");

        // The host function; the wrapper may go before the plugin, which keeps the callback.
        int calls = 0;
        std::vector<extism::Plugin> greeters;
        {
            extism::Function hello("hello_world", [&calls](std::string_view input) {
                ++calls;
                return "Hello from C++, " + std::string(input) + "!";
            });
            greeters.emplace_back(read_file(plugins + "/host_fn_hello.wasm"),
                                  std::vector<const extism::Function *>{&hello});
        }
        expect("call_hello", greeters[0].call("call_hello", "RAII"), "Hello from C++, RAII!");
        expect("host function calls", std::to_string(calls), "1");

        // Errors arrive as exceptions carrying libextism's message.
        try {
            counters[0].call("nope");
            expect("unknown function", "no error", "Function not found: nope");
        } catch (const extism::Error &e) {
            expect("unknown function", e.what(), "Function not found: nope");
        }
        try {
            extism::Plugin missing(R"({"wasm": [{"path": "nope.wasm"}]})");
            expect("missing file", "no error", "an error");
        } catch (const extism::Error &e) {
            const std::string prefix = "Unable to compile Extism plugin:";
            expect("missing file", std::string(e.what()).substr(0, prefix.size()), prefix);
        }
    } catch (const std::exception &e) {
        std::cerr << "FAIL: " << e.what() << "\n";
        return 1;
    }
    if (checks_failed != 0) {
        std::cerr << checks_failed << " check(s) failed\n";
        return 1;
    }
    std::cout << "all checks passed\n";
    return 0;
}
