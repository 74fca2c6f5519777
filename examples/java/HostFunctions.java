// A Java host of libextism through JNA, the way the official Java SDK calls it: a host function
// that reads its argument block, allocates a new block, writes into it and returns it, and a
// per-plugin log callback, both called from Java threads. The JVM checks that Java code runs
// inside its thread's own stack (its guard zones, stack banging), so these callbacks must run
// there even when the guest runs on a stack the library keeps for small threads.
//
//   java -Xss256k -cp /usr/share/java/jna.jar:. HostFunctions   (EXTISM_LIB, EXTISM_PLUGINS set)
//
// Prints one line per check and "N passed, M failed"; exits 1 if any check failed.

import com.sun.jna.Callback;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

public class HostFunctions {
    /** The libextism functions this host uses, with the reference's prototypes. */
    public interface LibExtism extends Library {
        /** ExtismFunctionType. */
        interface HostFn extends Callback {
            void invoke(Pointer plugin, Pointer inputs, long nInputs, Pointer outputs,
                        long nOutputs, Pointer userData);
        }

        /** ExtismPluginLogFunction. */
        interface LogFn extends Callback {
            void invoke(int level, Pointer message, long len, Pointer userData);
        }

        String extism_version();
        Pointer extism_function_new(String name, int[] inputs, long nInputs, int[] outputs,
                                    long nOutputs, HostFn func, Pointer userData,
                                    Pointer freeUserData);
        void extism_function_free(Pointer function);
        Pointer extism_plugin_new(byte[] wasm, long wasmSize, Pointer[] functions,
                                  long nFunctions, boolean withWasi, PointerByReference errmsg);
        void extism_plugin_new_error_free(Pointer errmsg);
        void extism_plugin_free(Pointer plugin);
        int extism_plugin_call(Pointer plugin, String name, byte[] data, long dataLen);
        String extism_plugin_error(Pointer plugin);
        long extism_plugin_output_length(Pointer plugin);
        Pointer extism_plugin_output_data(Pointer plugin);
        boolean extism_plugin_set_log_callback(Pointer plugin, LogFn callback, int minLevel,
                                               Pointer userData);
        Pointer extism_current_plugin_memory(Pointer plugin);
        long extism_current_plugin_memory_length(Pointer plugin, long handle);
        long extism_current_plugin_memory_alloc(Pointer plugin, long size);
    }

    static final LibExtism EXTISM = Native.load(System.getenv("EXTISM_LIB"), LibExtism.class);
    static final String PLUGINS = System.getenv("EXTISM_PLUGINS");
    /** ExtismValType_I64: the type of EXTISM_PTR. */
    static final int I64 = 1;
    /** sizeof(ExtismVal): an int-sized type tag, padding, an 8-byte union. */
    static final int VAL_SIZE = 16;
    static final int VAL_OFFSET = 8;

    /** hello_world: returns a new block holding "Hello from Java, <argument>!". */
    static final LibExtism.HostFn HELLO = (plugin, inputs, nInputs, outputs, nOutputs, data) -> {
        long handle = inputs.getLong(VAL_OFFSET);
        long length = EXTISM.extism_current_plugin_memory_length(plugin, handle);
        byte[] argument = EXTISM.extism_current_plugin_memory(plugin).getByteArray(handle,
                                                                                  (int) length);
        // A little Java work on this stack: allocation, string building, a collection.
        List<String> parts = new ArrayList<>();
        parts.add("Hello from Java, ");
        parts.add(new String(argument, StandardCharsets.UTF_8));
        parts.add("!");
        byte[] reply = String.join("", parts).getBytes(StandardCharsets.UTF_8);
        long block = EXTISM.extism_current_plugin_memory_alloc(plugin, reply.length);
        // The memory's base may move on allocation, so it is read again after alloc.
        EXTISM.extism_current_plugin_memory(plugin).write(block, reply, 0, reply.length);
        outputs.setLong(VAL_OFFSET, block);
    };

    /** Collects the levels and texts the log callback sees, per thread. */
    static final ThreadLocal<List<String>> LOGGED = ThreadLocal.withInitial(ArrayList::new);
    static final LibExtism.LogFn LOG = (level, message, len, data) ->
        LOGGED.get().add(level + ":" + new String(message.getByteArray(0, (int) len),
                                                  StandardCharsets.UTF_8));

    static int passed = 0;
    static int failed = 0;

    static synchronized void check(boolean ok, String what) {
        if (ok) {
            passed++;
            System.out.println("ok    " + what);
        } else {
            failed++;
            System.out.println("FAIL  " + what);
        }
    }

    static Pointer load(String name, Pointer[] functions) throws Exception {
        byte[] wasm = Files.readAllBytes(Path.of(PLUGINS, name));
        PointerByReference errmsg = new PointerByReference();
        Pointer plugin = EXTISM.extism_plugin_new(wasm, wasm.length, functions,
                                                  functions == null ? 0 : functions.length,
                                                  false, errmsg);
        if (plugin == null) {
            String message = errmsg.getValue() == null ? "(none)" : errmsg.getValue().getString(0);
            EXTISM.extism_plugin_new_error_free(errmsg.getValue());
            throw new IllegalStateException("cannot load " + name + ": " + message);
        }
        return plugin;
    }

    static String call(Pointer plugin, String function, String input) {
        byte[] data = input.getBytes(StandardCharsets.UTF_8);
        int rc = EXTISM.extism_plugin_call(plugin, function, data, data.length);
        if (rc != 0) {
            return "rc " + rc + ": " + EXTISM.extism_plugin_error(plugin);
        }
        long length = EXTISM.extism_plugin_output_length(plugin);
        byte[] output = EXTISM.extism_plugin_output_data(plugin).getByteArray(0, (int) length);
        return new String(output, StandardCharsets.UTF_8);
    }

    /** The checks, on the calling thread: host functions, then the log callback. */
    static void exercise(String where) {
        Pointer function = null;
        Pointer hello = null;
        Pointer logger = null;
        try {
            int[] ptr = {I64};
            function = EXTISM.extism_function_new("hello_world", ptr, 1, ptr, 1, HELLO, null,
                                                  null);
            hello = load("host_fn_hello.wasm", new Pointer[] {function});
            for (int i = 0; i < 3; i++) {
                String input = where + " #" + i;
                String output = call(hello, "call_hello", input);
                check(output.equals("Hello from Java, " + input + "!"),
                      where + ": host function call " + i + " -> " + output);
            }
            logger = load("log.wasm", null);
            check(EXTISM.extism_plugin_set_log_callback(logger, LOG, 0, null),
                  where + ": set_log_callback");
            LOGGED.get().clear();
            String output = call(logger, "log_all", "");
            check(!output.startsWith("rc "), where + ": log_all -> " + output);
            check(LOGGED.get().equals(List.of("0:t", "1:d", "2:i", "3:w", "4:e")),
                  where + ": log callback saw " + LOGGED.get());
        } catch (Throwable e) {
            check(false, where + ": " + e);
        } finally {
            if (logger != null) {
                EXTISM.extism_plugin_free(logger);
            }
            if (hello != null) {
                EXTISM.extism_plugin_free(hello);
            }
            if (function != null) {
                EXTISM.extism_function_free(function);
            }
        }
    }

    public static void main(String[] args) throws Exception {
        System.out.println("libextism " + EXTISM.extism_version() + ", thread stack -Xss"
                           + System.getProperty("extism.xss", "(default)"));
        exercise("main thread");
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String name = "thread " + i;
            threads.add(new Thread(() -> exercise(name), name));
        }
        for (Thread thread : threads) {
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        System.out.println(passed + " passed, " + failed + " failed");
        System.exit(failed == 0 && passed > 0 ? 0 : 1);
    }
}
