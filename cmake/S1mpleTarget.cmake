# s1mple_target(<target>): the project's compile settings, applied per target (never global).
#  - C++20, warnings on, -Werror when the environment says CI=true
#  - AddressSanitizer + UndefinedBehaviorSanitizer when S1MPLE_SANITIZE=ON
function(s1mple_target target)
  get_target_property(_type ${target} TYPE)
  if(_type STREQUAL "INTERFACE_LIBRARY")
    return()
  endif()
  target_compile_features(${target} PUBLIC cxx_std_20)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual
    -Wimplicit-fallthrough -Wformat=2 -Wmisleading-indentation
    # Determinism: never fuse a*b+c into one FMA (it rounds once, not twice), so a backtest gives
    # the same bits on x86-64, on aarch64 (where FMA is baseline) and with any compiler.
    -ffp-contract=off)
  if(S1MPLE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(S1MPLE_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
                                             -fno-sanitize-recover=undefined)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

# s1mple_library(<name> <dir>): one library per top-level folder, sources globbed from that folder
# (and its plugins/ subfolder) so adding a file needs no CMake edit. Alias s1mple::<name>.
function(s1mple_library name)
  file(GLOB _srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc
                                    ${CMAKE_CURRENT_SOURCE_DIR}/*/*.cc)
  if(NOT _srcs)  # a folder whose code is all in headers (or not written yet)
    add_library(${name} INTERFACE)
    add_library(s1mple::${name} ALIAS ${name})
    target_include_directories(${name} INTERFACE ${PROJECT_SOURCE_DIR})
    return()
  endif()
  add_library(${name} STATIC ${_srcs})
  add_library(s1mple::${name} ALIAS ${name})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  set_target_properties(${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  s1mple_target(${name})
endfunction()

# s1mple_test(<name> LABEL <label> SOURCES ... LIBS ...): a GoogleTest binary registered with ctest,
# every test labelled with its folder so `ctest -L store` runs one area alone.
function(s1mple_test name)
  cmake_parse_arguments(T "" "LABEL;TIMEOUT" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gmock GTest::gtest_main)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  s1mple_target(${name})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  gtest_discover_tests(${name}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    PROPERTIES LABELS ${T_LABEL} TIMEOUT ${T_TIMEOUT}
               ENVIRONMENT "S1MPLE_BIN=$<TARGET_FILE_DIR:s1mple>/s1mple;S1MPLE_ROOT=${PROJECT_SOURCE_DIR}"
    DISCOVERY_TIMEOUT 60)
endfunction()
