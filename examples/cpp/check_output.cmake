# Runs PROGRAM with PLUGINS_DIR (through LAUNCHER, a ;-list, when that is set) and fails unless it exits 0 and its standard output, without
# the first line (the library version), equals the file EXPECTED.
execute_process(COMMAND ${LAUNCHER} "${PROGRAM}" "${PLUGINS_DIR}"
    RESULT_VARIABLE status
    OUTPUT_VARIABLE output
    ERROR_VARIABLE errors)
message("${output}${errors}")
if(NOT status EQUAL 0)
    message(FATAL_ERROR "${PROGRAM} exited with ${status}")
endif()
string(REGEX REPLACE "^libextism [^\n]*\n" "" output "${output}")
file(READ "${EXPECTED}" expected)
if(NOT output STREQUAL expected)
    message(FATAL_ERROR "output differs from ${EXPECTED}")
endif()
