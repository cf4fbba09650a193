# L2TP/PPP session set-ups per second and sessions held through the gateway, against our own load
# generator (host/l2tp's Lac and the PPP client of tests/host/ppp).
add_executable(l2sec-session-bench host_session_bench.cpp)
target_link_libraries(l2sec-session-bench PRIVATE l2sec::daemon l2sec_ppp_test_peer
  l2sec_test_warnings)
add_test(NAME bench_session_smoke COMMAND l2sec-session-bench --quick)
set_tests_properties(bench_session_smoke PROPERTIES LABELS bench)
