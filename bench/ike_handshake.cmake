# IKEv1 responder handshakes per second against the Diffie-Hellman bound, with our own initiator as
# the load generator.
add_executable(l2sec-ike-bench ike_handshake_bench.cpp)
target_link_libraries(l2sec-ike-bench PRIVATE l2sec::ike l2sec_warnings)
add_test(NAME bench_ike_smoke COMMAND l2sec-ike-bench --quick)
set_tests_properties(bench_ike_smoke PROPERTIES LABELS bench)
