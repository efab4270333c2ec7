# CTest check (tests/CMakeLists.txt): doctest_discover_tests splits test case names at ';', a
# CMake list separator, and the pieces then match no test case: such a test would pass under
# CTest without running. Fails when a name holds one. Run with -DTESTS=<replenish_tests>.
execute_process(COMMAND "${TESTS}" --list-test-cases OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${TESTS} --list-test-cases failed (${rc})")
endif()
string(FIND "${out}" ";" at)
if(NOT at EQUAL -1)
  string(REPLACE ";" "<semicolon>" shown "${out}")
  string(REGEX MATCHALL "[^\n]*<semicolon>[^\n]*" bad "${shown}")
  list(JOIN bad "\n  " bad)
  message(FATAL_ERROR "test case names must not contain ';' (CTest would run nothing):\n  ${bad}")
endif()
message(STATUS "every test case name is safe for CTest")
