# Helpers for RTL blocks: lint and Icarus checks, Verilated models and their GoogleTest suites.
# Every block uses the same three calls, so the flags and the warning policy live here once.
#
#   l2sec_rtl_checks(<block> TOPS <top>... SOURCES <file.v>...)
#       rtl_lint_<block>:   verilator --lint-only -Wall of each top over all SOURCES
#       rtl_icarus_<block>: iverilog -g2012 -Wall of each module (one per file) over all SOURCES;
#                           any warning fails it, like the Verilator lint
#   l2sec_verilated_model(<library> TOP <module> SOURCES <file.v>... [VERILATOR_ARGS <arg>...])
#       verilates TOP into the static <library> (created on first use; several models may share
#       one), with the generated register map on the include path
#   l2sec_rtl_gtest(<exe> SOURCES <file.cpp>... MODEL <library> [LIBS <target>...])
#       a GoogleTest binary on a Verilated model, label rtl; Verilator's headers are system
#       headers so the project warnings apply to the test code only
#
# Both tests and models are skipped (with a message) when the tools are missing.

find_program(L2SEC_VERILATOR_EXECUTABLE verilator HINTS $ENV{VERILATOR_ROOT}/bin)
find_program(L2SEC_IVERILOG_EXECUTABLE iverilog)
find_package(verilator HINTS $ENV{VERILATOR_ROOT} /usr/share/verilator)

function(l2sec_rtl_checks block)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "TOPS;SOURCES")
  list(JOIN arg_SOURCES " " srcs)
  set(inc "-I'${L2SEC_GENERATED_DIR}'")
  if(L2SEC_VERILATOR_EXECUTABLE)
    set(cmds "")
    foreach(top IN LISTS arg_TOPS)
      string(APPEND cmds "echo 'lint ${top}' && '${L2SEC_VERILATOR_EXECUTABLE}' --lint-only -Wall "
        "${inc} --top-module ${top} ${srcs} && ")
    endforeach()
    add_test(NAME rtl_lint_${block} COMMAND sh -c "${cmds}true")
    set_tests_properties(rtl_lint_${block} PROPERTIES LABELS rtl)
  else()
    message(STATUS "rtl/${block}: verilator not found, rtl_lint_${block} not added")
  endif()
  if(L2SEC_IVERILOG_EXECUTABLE)
    set(cmds "")
    foreach(file IN LISTS arg_SOURCES)
      get_filename_component(module ${file} NAME_WE)
      string(APPEND cmds "echo 'iverilog ${module}' && '${L2SEC_IVERILOG_EXECUTABLE}' -g2012 -Wall "
        "${inc} -o /dev/null -s ${module} ${srcs} && ")
    endforeach()
    add_test(NAME rtl_icarus_${block} COMMAND sh -c "${cmds}true")
    # Icarus prints warnings without failing; treat any as a failure like the Verilator lint.
    set_tests_properties(rtl_icarus_${block} PROPERTIES LABELS rtl FAIL_REGULAR_EXPRESSION "[Ww]arning")
  else()
    message(STATUS "rtl/${block}: iverilog not found, rtl_icarus_${block} not added")
  endif()
endfunction()

function(l2sec_verilated_model library)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "TOP" "SOURCES;VERILATOR_ARGS")
  if(NOT verilator_FOUND)
    return()
  endif()
  if(NOT TARGET ${library})
    add_library(${library} STATIC)
  endif()
  verilate(${library}
    SOURCES ${arg_SOURCES}
    TOP_MODULE ${arg_TOP} PREFIX V${arg_TOP}
    INCLUDE_DIRS ${L2SEC_GENERATED_DIR}
    VERILATOR_ARGS --x-assign 0 --x-initial 0 ${arg_VERILATOR_ARGS}
    OPT_FAST -O2 OPT_SLOW -O1)
endfunction()

function(l2sec_rtl_gtest exe)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "MODEL" "SOURCES;LIBS")
  if(NOT verilator_FOUND)
    message(STATUS "${exe}: Verilator CMake package not found, test skipped")
    return()
  endif()
  add_executable(${exe} ${arg_SOURCES})
  target_link_libraries(${exe} PRIVATE ${arg_MODEL} ${arg_LIBS} GTest::gtest_main)
  target_include_directories(${exe} SYSTEM PRIVATE
    ${VERILATOR_ROOT}/include ${VERILATOR_ROOT}/include/vltstd
    $<TARGET_PROPERTY:${arg_MODEL},INTERFACE_INCLUDE_DIRECTORIES>)
  target_include_directories(${exe} PRIVATE ${PROJECT_SOURCE_DIR}/tests/rtl)
  gtest_discover_tests(${exe} PROPERTIES LABELS rtl DISCOVERY_TIMEOUT 30)
endfunction()
