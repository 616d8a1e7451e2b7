# Sessions benchmark: warm latency vs fork+exec vs cold exec, 1 GiB through pipe/PTY sessions vs
# raw, memory of 64 idle sessions.   build/bench/session_bench --runs 200 --mib 1024
add_executable(session_bench ${CMAKE_CURRENT_LIST_DIR}/session_bench.cc)
target_link_libraries(session_bench PRIVATE cordon_server cordon_cli_lib -lutil)
target_compile_definitions(session_bench PRIVATE CORDON_BIN="$<TARGET_FILE:cordon>")
add_dependencies(session_bench cordon)
