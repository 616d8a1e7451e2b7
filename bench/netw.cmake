# Start-up of a "proxy" sandbox against a "none" one (bench/netw_startup_bench.cc).
add_executable(netw_startup_bench ${CMAKE_CURRENT_LIST_DIR}/netw_startup_bench.cc)
target_compile_definitions(netw_startup_bench PRIVATE CORDON_BIN="$<TARGET_FILE:cordon>")
