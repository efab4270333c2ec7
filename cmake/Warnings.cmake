# Warnings and sanitizers as interface targets, linked by every target of the project.
add_library(replenish_warnings INTERFACE)
target_compile_options(replenish_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow
                                                    -Wnon-virtual-dtor -Wold-style-cast)
# GCC 12 reports impossible overlaps inside libstdc++'s char_traits at -O2/-O3 (GCC bug
# 105651): a false positive in optimised builds only.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(replenish_warnings INTERFACE $<$<NOT:$<CONFIG:Debug>>:-Wno-restrict>)
endif()
if(REPLENISH_WERROR)
  target_compile_options(replenish_warnings INTERFACE -Werror)
endif()

# REPLENISH_SANITIZE: OFF, "address" (ASan + UBSan) or "thread" (TSan).
add_library(replenish_sanitizers INTERFACE)
if(REPLENISH_SANITIZE STREQUAL "address")
  target_compile_options(replenish_sanitizers INTERFACE -fsanitize=address,undefined
                                                        -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(replenish_sanitizers INTERFACE -fsanitize=address,undefined)
  # GCC 12 with ASan reports std::regex's own NFA states as maybe uninitialized (GCC bug
  # 105562): a false positive inside libstdc++, not in this code.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(replenish_sanitizers INTERFACE -Wno-maybe-uninitialized)
  endif()
elseif(REPLENISH_SANITIZE STREQUAL "thread")
  target_compile_options(replenish_sanitizers INTERFACE -fsanitize=thread -fno-omit-frame-pointer)
  target_link_options(replenish_sanitizers INTERFACE -fsanitize=thread)
elseif(REPLENISH_SANITIZE)
  message(FATAL_ERROR "REPLENISH_SANITIZE must be OFF, address or thread")
endif()

# REPLENISH_FUZZ: every target gets libFuzzer's coverage instrumentation; only the fuzz targets
# link libFuzzer's main (tests/fuzz/CMakeLists.txt).
if(REPLENISH_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "REPLENISH_FUZZ needs clang (the fuzz preset sets clang++)")
  endif()
  target_compile_options(replenish_sanitizers INTERFACE -fsanitize=fuzzer-no-link)
endif()
