# cordon_test(NAME SOURCES ... LIBS ... [LABELS ...])
# Unit tests get the label "unit" and join the target `cordon_unit_tests`, which builds every unit
# test (scripts/test.sh builds just that for its sanitizer pass). Tests that start real sandboxes
# live in tests/ (tests/CMakeLists.txt) and run a second time as an unprivileged user.
include(GoogleTest)
if(NOT TARGET cordon_unit_tests)
  add_custom_target(cordon_unit_tests)
endif()
function(cordon_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main GTest::gmock)
  target_compile_definitions(${name} PRIVATE
    CORDON_SOURCE_DIR="${PROJECT_SOURCE_DIR}" CORDON_BINARY_DIR="${PROJECT_BINARY_DIR}")
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  if(T_LABELS STREQUAL "unit")
    add_dependencies(cordon_unit_tests ${name})
  endif()
  gtest_discover_tests(${name} PROPERTIES LABELS "${T_LABELS}" DISCOVERY_TIMEOUT 30)
endfunction()
