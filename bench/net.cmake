# The network proxy benchmark (bench/net_proxy_bench.cc): throughput of a large transfer and the
# rate of new connections through the proxy against the same direct on loopback, in one run.
add_executable(net_proxy_bench ${CMAKE_CURRENT_LIST_DIR}/net_proxy_bench.cc
                               ${CMAKE_CURRENT_LIST_DIR}/../src/net/test_servers.cc)
target_link_libraries(net_proxy_bench PRIVATE cordon_net)
