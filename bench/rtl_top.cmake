# Line-module top benchmark (rtl/top): cycles per packet and bits per cycle of the Verilated lm_top
# for ingress (ESP decap) and egress (ESP encap), and Verilator against Icarus on the same top.
# Two models, LANES=4 (the default) and LANES=8, both with CAPACITY=256 (build time; the SA table
# depth does not change the per-packet cycles). Outputs are checked byte for byte against the
# golden model. Skipped without Verilator.
if(verilator_FOUND AND L2SEC_RTL_TOP_SOURCES)
  add_library(l2sec_rtl_top_bench_models STATIC)
  foreach(lanes 4 8)
    verilate(l2sec_rtl_top_bench_models
      SOURCES ${L2SEC_RTL_TOP_SOURCES}
      TOP_MODULE lm_top PREFIX Vlm_top_l${lanes}
      INCLUDE_DIRS ${L2SEC_GENERATED_DIR}
      VERILATOR_ARGS --x-assign 0 --x-initial 0 -O3 -GCAPACITY=256 -GLANES=${lanes}
      OPT_FAST -O2 OPT_SLOW -O1)
  endforeach()
  find_program(L2SEC_VVP_EXECUTABLE vvp)
  add_executable(l2sec-rtl-top-bench ${CMAKE_CURRENT_SOURCE_DIR}/rtl_top_bench.cpp)
  target_link_libraries(l2sec-rtl-top-bench PRIVATE l2sec_rtl_top_bench_models l2sec::lm_sa_entry
    l2sec::golden l2sec::regs l2sec_test_warnings)
  target_include_directories(l2sec-rtl-top-bench SYSTEM PRIVATE
    ${VERILATOR_ROOT}/include ${VERILATOR_ROOT}/include/vltstd
    $<TARGET_PROPERTY:l2sec_rtl_top_bench_models,INTERFACE_INCLUDE_DIRECTORIES>)
  list(JOIN L2SEC_RTL_TOP_SOURCES " " l2sec_top_srcs)
  target_compile_definitions(l2sec-rtl-top-bench PRIVATE
    L2SEC_IVERILOG="${L2SEC_IVERILOG_EXECUTABLE}"
    L2SEC_VVP="${L2SEC_VVP_EXECUTABLE}"
    L2SEC_GENERATED_DIR="${L2SEC_GENERATED_DIR}"
    L2SEC_ICARUS_SOURCES="${CMAKE_CURRENT_SOURCE_DIR}/rtl_top_bench_tb.v ${l2sec_top_srcs}")
  add_test(NAME bench_rtl_top_smoke COMMAND l2sec-rtl-top-bench --quick)
  set_tests_properties(bench_rtl_top_smoke PROPERTIES LABELS bench)
else()
  message(STATUS "bench/rtl_top: Verilator or the rtl/top sources missing, l2sec-rtl-top-bench not built")
endif()
