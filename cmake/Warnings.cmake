# Warnings and sanitizers as interface targets, linked by every target of the project.
add_library(replenish_warnings INTERFACE)
target_compile_options(replenish_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow
                                                    -Wnon-virtual-dtor -Wold-style-cast)
if(REPLENISH_WERROR)
  target_compile_options(replenish_warnings INTERFACE -Werror)
endif()

add_library(replenish_sanitizers INTERFACE)
if(REPLENISH_SANITIZE)
  target_compile_options(replenish_sanitizers INTERFACE -fsanitize=address,undefined
                                                        -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(replenish_sanitizers INTERFACE -fsanitize=address,undefined)
endif()
