# frozen_string_literal: true

# Checks the Ruby example's outputs (minitest, from Ruby's standard distribution).
#
#   ruby examples/ruby/test_example.rb

require "json"
require "minitest/autorun"
require_relative "example"

class ExampleTest < Minitest::Test
  def test_version
    assert_match(/\A1\.\d+\.\d+/, Extism.version)
  end

  def test_count_vowels
    outputs = count_vowels("Hello, World!", "aeiou").map { |out| JSON.parse(out) }
    assert_equal({ "count" => 3, "total" => 3, "vowels" => "aeiouAEIOU" }, outputs[0])
    assert_equal({ "count" => 5, "total" => 8, "vowels" => "aeiouAEIOU" }, outputs[1])
  end

  def test_host_function
    assert_equal "Hello from Ruby, ffi!", greet("ffi")
    assert_equal "Hello from Ruby, !", greet("")
  end

  # Puma and Sidekiq run every request on a Ruby Thread, whose machine stack (1 MiB by default)
  # is smaller than a call needs, so the guest runs on a stack the library keeps; the Ruby block
  # must still run on the thread's own stack, where Ruby's stack checks expect it.
  def test_host_function_from_threads
    assert_equal "Hello from Ruby, thread!", Thread.new { greet("thread") }.value
    results = Array.new(4) { |i| Thread.new { Array.new(3) { |j| greet("t#{i}.#{j}") } } }.map(&:value)
    assert_equal(Array.new(4) { |i| Array.new(3) { |j| "Hello from Ruby, t#{i}.#{j}!" } }, results)
    assert_equal "Hello from Ruby, main!", greet("main")
  end

  def test_host_function_namespace
    shout = Extism::Function.new("hello_world", namespace: "elsewhere") { |bytes| bytes.upcase }
    wasm = File.binread(File.join(PLUGINS, "host_fn_hello.wasm"))
    error = assert_raises(Extism::Error) { Extism::Plugin.new(wasm, functions: [shout]) }
    assert_match(/hello_world/, error.message)
  ensure
    shout&.free
  end

  def test_errors
    error = assert_raises(Extism::Error) { Extism::Plugin.new(%({"wasm": [{"path": "nope.wasm"}]})) }
    assert error.message.start_with?("Unable to compile Extism plugin: "), error.message

    plugin = Extism::Plugin.new('(module (func (export "run")))')
    assert plugin.function_exists?("run")
    refute plugin.function_exists?("nope")
    error = assert_raises(Extism::Error) { plugin.call("nope") }
    assert_equal "Function not found: nope", error.message
    assert_equal "", plugin.call("run")
  ensure
    plugin&.free
  end
end
