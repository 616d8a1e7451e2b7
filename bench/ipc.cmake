# ipc/session benchmark: framed Output throughput vs the raw socketpair, OutputBuffer appends.
#   build/bench/ipc_bench --mib 1024 --runs 5
add_executable(ipc_bench ${CMAKE_CURRENT_LIST_DIR}/ipc_bench.cc)
target_link_libraries(ipc_bench PRIVATE cordon_ipc cordon_session)
