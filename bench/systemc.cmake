# SystemC model benchmark (sim/systemc): simulated cycles and packets per wall-clock second of the
# SystemC line module against the bare Verilated C++ model (sim/lmtop TopHarness) on the same
# traffic. Skipped when either model is not built.
if(TARGET l2sec_lm_systemc AND TARGET l2sec_lm_top_harness)
  add_executable(l2sec-sc-bench ${CMAKE_CURRENT_SOURCE_DIR}/systemc_bench.cpp)
  target_link_libraries(l2sec-sc-bench PRIVATE l2sec::lm_systemc l2sec_lm_top_harness
    l2sec_test_warnings)
  add_test(NAME bench_systemc_smoke COMMAND l2sec-sc-bench --quick)
  set_tests_properties(bench_systemc_smoke PROPERTIES LABELS bench
    ENVIRONMENT SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1)
endif()
