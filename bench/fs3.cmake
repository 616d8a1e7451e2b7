# Filesystem rules (bench/fs_rules_bench.cc): start-up cost as the number of rules grows, and
# deny-glob expansion through the resolver over 100,000 files.
# Run: build/bench/fs_rules_bench [--runs N] [--files N] [--max-rules N]
add_executable(fs_rules_bench ${CMAKE_CURRENT_LIST_DIR}/fs_rules_bench.cc)
target_link_libraries(fs_rules_bench PRIVATE cordon_plan)
target_compile_definitions(fs_rules_bench PRIVATE CORDON_BIN="$<TARGET_FILE:cordon>")
