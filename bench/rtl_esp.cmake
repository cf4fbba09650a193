# ESP engine benchmark (rtl/esp): cycles per packet and bits per cycle of the Verilated decap and
# encap lanes, and Verilator against Icarus on the same lane. Needs the models that
# tests/rtl/esp builds; skipped without Verilator.
if(TARGET l2sec_rtl_esp_models)
  # Eight lanes each way (the tests run the default four): one SA keeps to one lane, eight SAs on
  # eight lanes show the parallel figure.
  l2sec_verilated_model(l2sec_rtl_esp_bench_models TOP lm_esp_decap_lanes
    SOURCES ${L2SEC_RTL_ESP_SOURCES} VERILATOR_ARGS -O3 -GCAPACITY=256 -GLANES=8)
  l2sec_verilated_model(l2sec_rtl_esp_bench_models TOP lm_esp_encap_lanes
    SOURCES ${L2SEC_RTL_ESP_SOURCES} VERILATOR_ARGS -O3 -GCAPACITY=256 -GLANES=8)
  find_program(L2SEC_VVP_EXECUTABLE vvp)
  add_executable(l2sec-rtl-esp-bench ${CMAKE_CURRENT_SOURCE_DIR}/rtl_esp_bench.cpp)
  target_link_libraries(l2sec-rtl-esp-bench PRIVATE l2sec_rtl_esp_bench_models l2sec::golden l2sec::regs
    l2sec_test_warnings)
  target_include_directories(l2sec-rtl-esp-bench SYSTEM PRIVATE
    ${VERILATOR_ROOT}/include ${VERILATOR_ROOT}/include/vltstd
    $<TARGET_PROPERTY:l2sec_rtl_esp_bench_models,INTERFACE_INCLUDE_DIRECTORIES>)
  target_include_directories(l2sec-rtl-esp-bench PRIVATE ${PROJECT_SOURCE_DIR}/tests/rtl/esp)
  list(JOIN L2SEC_RTL_ESP_SOURCES " " l2sec_esp_srcs)
  target_compile_definitions(l2sec-rtl-esp-bench PRIVATE
    L2SEC_IVERILOG="${L2SEC_IVERILOG_EXECUTABLE}"
    L2SEC_VVP="${L2SEC_VVP_EXECUTABLE}"
    L2SEC_GENERATED_DIR="${L2SEC_GENERATED_DIR}"
    L2SEC_ICARUS_SOURCES="${PROJECT_SOURCE_DIR}/tests/rtl/esp/esp_bench_tb.v ${l2sec_esp_srcs}")
  add_test(NAME bench_rtl_esp_smoke COMMAND l2sec-rtl-esp-bench --quick)
  set_tests_properties(bench_rtl_esp_smoke PROPERTIES LABELS bench)
endif()
