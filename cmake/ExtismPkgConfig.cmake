# Writes extism.pc and extism-static.pc at install time, so `prefix` is the prefix actually
# installed to (`cmake --install --prefix` may differ from the configured one). The caller
# sets EXTISM_PC_TEMPLATE_DIR, EXTISM_PC_OUTPUT_DIR, EXTISM_PC_VERSION, EXTISM_PC_LIBDIR and
# EXTISM_PC_INCLUDEDIR; relative directories are taken under the prefix (GNUInstallDirs).
set(EXTISM_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
foreach(dir EXTISM_PC_LIBDIR EXTISM_PC_INCLUDEDIR)
    if(IS_ABSOLUTE "${${dir}}")
        file(RELATIVE_PATH ${dir} "${EXTISM_PC_PREFIX}" "${${dir}}")
    endif()
endforeach()
foreach(name extism extism-static)
    configure_file("${EXTISM_PC_TEMPLATE_DIR}/${name}.pc.in" "${EXTISM_PC_OUTPUT_DIR}/${name}.pc" @ONLY)
endforeach()
