# frozen_string_literal: true

# A small Ruby binding over the libextism C API with ruby-ffi: plugins, and host functions
# that take one block of bytes and return one.
#
# The library is loaded from $EXTISM_LIB, or else from this checkout's target/debug.

require "ffi"

module Extism
  # The C functions used here, declared as in include/extism.h.
  module C
    extend FFI::Library
    ffi_lib ENV.fetch("EXTISM_LIB") { File.expand_path("../../target/debug/libextism.so", __dir__) }

    VAL_I64 = 1 # ExtismValType_I64, also EXTISM_PTR

    # ExtismValUnion
    class ValUnion < FFI::Union
      layout :i32, :int32, :i64, :int64, :f32, :float, :f64, :double
    end

    # ExtismVal: 16 bytes, the union at offset 8.
    class Val < FFI::Struct
      layout :t, :int, :v, ValUnion
    end

    callback :function_type, %i[pointer pointer uint64 pointer uint64 pointer], :void
    callback :free_user_data, [:pointer], :void

    attach_function :extism_version, [], :string
    attach_function :extism_plugin_new, %i[pointer uint64 pointer uint64 bool pointer], :pointer
    attach_function :extism_plugin_new_error_free, [:pointer], :void
    attach_function :extism_plugin_free, [:pointer], :void
    attach_function :extism_plugin_call, %i[pointer string pointer uint64], :int32
    attach_function :extism_plugin_error, [:pointer], :pointer
    attach_function :extism_plugin_output_length, [:pointer], :uint64
    attach_function :extism_plugin_output_data, [:pointer], :pointer
    attach_function :extism_plugin_function_exists, %i[pointer string], :bool
    attach_function :extism_function_new,
                    %i[string pointer uint64 pointer uint64 function_type pointer free_user_data], :pointer
    attach_function :extism_function_set_namespace, %i[pointer string], :void
    attach_function :extism_function_free, [:pointer], :void
    attach_function :extism_current_plugin_memory, [:pointer], :pointer
    attach_function :extism_current_plugin_memory_length, %i[pointer uint64], :uint64
    attach_function :extism_current_plugin_memory_alloc, %i[pointer uint64], :uint64
  end

  class Error < StandardError; end

  def self.version
    C.extism_version
  end

  # A host function of type (i64) -> i64: the block receives the bytes the guest passed and
  # returns the bytes handed back to it.
  class Function
    attr_reader :pointer

    def initialize(name, namespace: nil, &block)
      @block = block
      types = FFI::MemoryPointer.new(:int, 1).write_array_of_int([C::VAL_I64])
      # Kept referenced: the library calls it for as long as a plugin holds the function.
      @callback = method(:invoke).to_proc
      @pointer = C.extism_function_new(name, types, 1, types, 1, @callback, nil, nil)
      raise Error, "extism_function_new failed" if @pointer.null?

      C.extism_function_set_namespace(@pointer, namespace) if namespace
    end

    # Releases the wrapper; must always be called, registered or not. Plugins built from it
    # keep working, but this object must stay alive as long as they do (it holds the callback).
    def free
      C.extism_function_free(@pointer) unless @pointer.null?
      @pointer = FFI::Pointer::NULL
    end

    private

    def invoke(plugin, inputs, n_inputs, outputs, n_outputs, _user_data)
      input = n_inputs.positive? ? read_block(plugin, C::Val.new(inputs)[:v][:i64]) : nil
      handle = write_block(plugin, @block.call(input || "".b))
      C::Val.new(outputs)[:v][:i64] = handle if n_outputs.positive?
    end

    def read_block(plugin, handle)
      length = C.extism_current_plugin_memory_length(plugin, handle)
      return "".b if length.zero?

      (C.extism_current_plugin_memory(plugin) + handle).read_bytes(length)
    end

    def write_block(plugin, bytes)
      return 0 if bytes.empty?

      handle = C.extism_current_plugin_memory_alloc(plugin, bytes.bytesize)
      return 0 if handle.zero?

      # The base may move on allocation, so it is read after alloc.
      (C.extism_current_plugin_memory(plugin) + handle).put_bytes(0, bytes)
      handle
    end
  end

  # A loaded plugin.
  class Plugin
    def initialize(wasm, functions: [], wasi: false)
      data = FFI::MemoryPointer.new(:uint8, [wasm.bytesize, 1].max).put_bytes(0, wasm)
      fns = FFI::MemoryPointer.new(:pointer, [functions.size, 1].max)
      fns.write_array_of_pointer(functions.map(&:pointer)) unless functions.empty?
      errmsg = FFI::MemoryPointer.new(:pointer)
      @pointer = C.extism_plugin_new(data, wasm.bytesize, functions.empty? ? nil : fns,
                                     functions.size, wasi, errmsg)
      return unless @pointer.null?

      message = errmsg.read_pointer
      text = message.read_string.force_encoding(Encoding::UTF_8)
      C.extism_plugin_new_error_free(message)
      raise Error, text
    end

    def function_exists?(name)
      C.extism_plugin_function_exists(@pointer, name)
    end

    def call(name, input = "")
      data = input.empty? ? nil : FFI::MemoryPointer.new(:uint8, input.bytesize).put_bytes(0, input)
      rc = C.extism_plugin_call(@pointer, name, data, input.bytesize)
      error = C.extism_plugin_error(@pointer)
      raise Error, error.read_string.force_encoding(Encoding::UTF_8) unless error.null?
      raise Error, "plugin call failed with code #{rc}" unless rc.zero?

      C.extism_plugin_output_data(@pointer).read_bytes(C.extism_plugin_output_length(@pointer))
    end

    def free
      C.extism_plugin_free(@pointer) unless @pointer.null?
      @pointer = FFI::Pointer::NULL
    end
  end
end
