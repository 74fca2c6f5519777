// A small C++17 wrapper over the libextism C API: move-only RAII owners for plugins, compiled
// plugins and host functions, each freeing its handle in its destructor.
#pragma once

#include <extism.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace extism {

// A failed constructor or call; what() holds libextism's message.
class Error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

inline std::string version() {
    return extism_version();
}

namespace detail {

// Owns one C handle and frees it with Free; move-only.
template <typename T, void (*Free)(T *)> class Handle {
  public:
    Handle() = default;
    explicit Handle(T *ptr) : ptr_(ptr) {}
    Handle(Handle &&other) noexcept : ptr_(std::exchange(other.ptr_, nullptr)) {}
    Handle &operator=(Handle &&other) noexcept {
        if (this != &other) {
            reset();
            ptr_ = std::exchange(other.ptr_, nullptr);
        }
        return *this;
    }
    Handle(const Handle &) = delete;
    Handle &operator=(const Handle &) = delete;
    ~Handle() {
        reset();
    }

    T *get() const {
        return ptr_;
    }
    explicit operator bool() const {
        return ptr_ != nullptr;
    }

  private:
    void reset() {
        if (ptr_ != nullptr) {
            Free(ptr_);
            ptr_ = nullptr;
        }
    }
    T *ptr_ = nullptr;
};

// Turns an errmsg from a constructor into an exception, freeing it the documented way.
[[noreturn]] inline void throw_errmsg(char *errmsg) {
    std::string message = errmsg != nullptr ? errmsg : "unknown error";
    extism_plugin_new_error_free(errmsg);
    throw Error(message);
}

inline void free_compiled(ExtismCompiledPlugin *p) {
    extism_compiled_plugin_free(p);
}
inline void free_plugin(ExtismPlugin *p) {
    extism_plugin_free(p);
}
inline void free_function(ExtismFunction *f) {
    extism_function_free(f);
}

} // namespace detail

// A host function of type (i64) -> i64 written in C++: it receives the bytes of the block the
// guest passed and returns the bytes of the block handed back to it. The callable is owned by
// the library once the function exists, and released when no plugin uses it any more.
class Function {
  public:
    using Callback = std::function<std::string(std::string_view input)>;

    Function(const std::string &name, Callback callback, const std::string &ns = "") {
        auto owned = std::make_unique<Callback>(std::move(callback));
        const ExtismValType ptr = EXTISM_PTR;
        ExtismFunction *f = extism_function_new(
            name.c_str(), &ptr, 1, &ptr, 1, &Function::trampoline, owned.get(), &Function::release);
        if (f == nullptr) {
            throw Error("extism_function_new failed for " + name);
        }
        owned.release(); // now freed by Function::release
        handle_ = Handle(f);
        if (!ns.empty()) {
            extism_function_set_namespace(handle_.get(), ns.c_str());
        }
    }

    const ExtismFunction *get() const {
        return handle_.get();
    }

  private:
    using Handle = detail::Handle<ExtismFunction, detail::free_function>;

    // Exceptions must not cross the C boundary: a failing callback hands back no block.
    static void trampoline(ExtismCurrentPlugin *plugin, const ExtismVal *inputs,
                           ExtismSize n_inputs, ExtismVal *outputs, ExtismSize n_outputs,
                           void *data) noexcept {
        try {
            std::string_view input;
            if (n_inputs > 0) {
                ExtismMemoryHandle h = static_cast<ExtismMemoryHandle>(inputs[0].v.i64);
                ExtismSize length = extism_current_plugin_memory_length(plugin, h);
                if (length > 0) {
                    input = std::string_view(
                        reinterpret_cast<const char *>(extism_current_plugin_memory(plugin) + h),
                        length);
                }
            }
            std::string result = (*static_cast<Callback *>(data))(input);
            ExtismMemoryHandle out = 0;
            if (!result.empty()) {
                out = extism_current_plugin_memory_alloc(plugin, result.size());
                if (out != 0) {
                    // The base may move on allocation, so it is read after alloc.
                    std::copy(result.begin(), result.end(),
                              extism_current_plugin_memory(plugin) + out);
                }
            }
            if (n_outputs > 0) {
                outputs[0].v.i64 = static_cast<int64_t>(out);
            }
        } catch (...) {
            if (n_outputs > 0) {
                outputs[0].v.i64 = 0;
            }
        }
    }

    static void release(void *data) {
        delete static_cast<Callback *>(data);
    }

    Handle handle_;
};

namespace detail {
inline std::vector<const ExtismFunction *>
pointers(const std::vector<const Function *> &functions) {
    std::vector<const ExtismFunction *> ptrs;
    ptrs.reserve(functions.size());
    for (const Function *f : functions) {
        ptrs.push_back(f->get());
    }
    return ptrs;
}
} // namespace detail

// Compiled wasm (or a manifest's modules) from which plugins are made quickly.
class CompiledPlugin {
  public:
    explicit CompiledPlugin(std::string_view wasm,
                            const std::vector<const Function *> &functions = {},
                            bool wasi = false) {
        auto ptrs = detail::pointers(functions);
        char *errmsg = nullptr;
        ExtismCompiledPlugin *p = extism_compiled_plugin_new(
            reinterpret_cast<const uint8_t *>(wasm.data()), wasm.size(),
            ptrs.empty() ? nullptr : ptrs.data(), ptrs.size(), wasi, &errmsg);
        if (p == nullptr) {
            detail::throw_errmsg(errmsg);
        }
        handle_ = Handle(p);
    }

    const ExtismCompiledPlugin *get() const {
        return handle_.get();
    }

  private:
    using Handle = detail::Handle<ExtismCompiledPlugin, detail::free_compiled>;
    Handle handle_;
};

// A plugin instance.
class Plugin {
  public:
    explicit Plugin(std::string_view wasm, const std::vector<const Function *> &functions = {},
                    bool wasi = false) {
        auto ptrs = detail::pointers(functions);
        char *errmsg = nullptr;
        ExtismPlugin *p =
            extism_plugin_new(reinterpret_cast<const uint8_t *>(wasm.data()), wasm.size(),
                              ptrs.empty() ? nullptr : ptrs.data(), ptrs.size(), wasi, &errmsg);
        if (p == nullptr) {
            detail::throw_errmsg(errmsg);
        }
        handle_ = Handle(p);
    }

    explicit Plugin(const CompiledPlugin &compiled) {
        char *errmsg = nullptr;
        ExtismPlugin *p = extism_plugin_new_from_compiled(compiled.get(), &errmsg);
        if (p == nullptr) {
            detail::throw_errmsg(errmsg);
        }
        handle_ = Handle(p);
    }

    bool function_exists(const std::string &name) const {
        return extism_plugin_function_exists(handle_.get(), name.c_str());
    }

    // Calls the export name with input and returns a copy of its output.
    std::string call(const std::string &name, std::string_view input = {}) const {
        int32_t rc =
            extism_plugin_call(handle_.get(), name.c_str(),
                               reinterpret_cast<const uint8_t *>(input.data()), input.size());
        if (const char *error = extism_plugin_error(handle_.get())) {
            throw Error(error);
        }
        if (rc != EXTISM_SUCCESS) {
            throw Error("plugin call failed with code " + std::to_string(rc));
        }
        const uint8_t *out = extism_plugin_output_data(handle_.get());
        return std::string(reinterpret_cast<const char *>(out),
                           extism_plugin_output_length(handle_.get()));
    }

  private:
    using Handle = detail::Handle<ExtismPlugin, detail::free_plugin>;
    Handle handle_;
};

} // namespace extism
