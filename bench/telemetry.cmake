# What tracing adds to one run (bench/telemetry_run_bench.cc): inactive, propagating, and the
# cost of parsing [otel]. Run: build/bench/telemetry_run_bench [runs-per-batch] [batches]
add_executable(telemetry_run_bench ${CMAKE_CURRENT_LIST_DIR}/telemetry_run_bench.cc)
target_link_libraries(telemetry_run_bench PRIVATE cordon_telemetry)
