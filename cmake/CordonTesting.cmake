# cordon_test(NAME SOURCES ... LIBS ... [LABELS ...])
# Unit tests get the label "unit"; tests that start real sandboxes get "integration" and are run
# a second time as an unprivileged user by scripts/test.sh.
include(GoogleTest)
function(cordon_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main GTest::gmock)
  target_compile_definitions(${name} PRIVATE
    CORDON_SOURCE_DIR="${PROJECT_SOURCE_DIR}" CORDON_BINARY_DIR="${PROJECT_BINARY_DIR}")
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  gtest_discover_tests(${name} PROPERTIES LABELS "${T_LABELS}" DISCOVERY_TIMEOUT 30)
endfunction()
