# Deny-glob expansion over a generated tree of 100,000 files (src/policy/home/deny_glob.h).
# Run: build/bench/home_glob_bench [files] [runs]
add_executable(home_glob_bench ${CMAKE_CURRENT_LIST_DIR}/home_glob_bench.cc)
target_link_libraries(home_glob_bench PRIVATE cordon_policy_home)
