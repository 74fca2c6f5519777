# frozen_string_literal: true

# Runs two test plugins through libextism from Ruby: count_vowels, and host_fn_hello, whose
# call_hello passes its input to a host function written in Ruby.
#
#   ruby examples/ruby/example.rb        (EXTISM_LIB selects the library; see extism.rb)

require_relative "extism"

PLUGINS = File.expand_path("../../c-tests/plugins", __dir__)

# Runs count_vowels.wasm (loaded through a manifest) once per input; returns the outputs.
def count_vowels(*inputs)
  manifest = %({"wasm": [{"path": "#{File.join(PLUGINS, "count_vowels.wasm")}"}]})
  plugin = Extism::Plugin.new(manifest)
  inputs.map { |input| plugin.call("count_vowels", input) }
ensure
  plugin&.free
end

# Calls host_fn_hello.wasm's call_hello, which hands input to the Ruby host function
# hello_world and outputs what it returns.
def greet(input)
  hello = Extism::Function.new("hello_world") { |bytes| "Hello from Ruby, #{bytes}!" }
  plugin = Extism::Plugin.new(File.binread(File.join(PLUGINS, "host_fn_hello.wasm")), functions: [hello])
  plugin.call("call_hello", input)
ensure
  plugin&.free
  hello&.free
end

if $PROGRAM_NAME == __FILE__
  puts "libextism #{Extism.version}"
  puts "count_vowels: #{count_vowels("Hello, World!").first}"
  puts "call_hello: #{greet("ffi")}"
end
