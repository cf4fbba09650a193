# The simulated line card (sim/lm, driver/sim, host/ipsec's LineModuleBackend): packets/s and
# bits/s through back end, driver, firmware and Verilated lm_top, next to the bare TopHarness.
# Built when the line-module simulation is.
if(TARGET l2sec_driver_sim AND TARGET l2sec_lm)
  add_executable(l2sec-lm-bench ${CMAKE_CURRENT_SOURCE_DIR}/line_module_bench.cpp)
  target_link_libraries(l2sec-lm-bench PRIVATE l2sec::ipsec l2sec::driver_sim l2sec::lm
    l2sec::lm_top_harness l2sec::host_common l2sec_test_warnings)
  add_test(NAME bench_line_module_smoke COMMAND l2sec-lm-bench --quick)
  set_tests_properties(bench_line_module_smoke PROPERTIES LABELS bench TIMEOUT 120)
endif()
