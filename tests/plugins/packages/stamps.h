// Test packages built with a stamp that does not fit (TEST_STAMP=1: plugin ABI 99, 2: SDK
// version 9.9.9, 3: another compiler), to test the loader's refusals before dlopen.
#pragma once
#include "engine/plugin_abi.h"
#if defined(TEST_STAMP) && TEST_STAMP == 1
#define S1MPLE_PLUGIN_STAMP                                                          \
  "s1mple-plugin;abi=99;sdk=" S1MPLE_SDK_VERSION ";compiler=" S1MPLE_PLUGIN_COMPILER \
  ";arch=" S1MPLE_PLUGIN_ARCH ";cxx11abi=" S1MPLE_PLUGIN_CXX11ABI
#elif defined(TEST_STAMP) && TEST_STAMP == 2
#define S1MPLE_PLUGIN_STAMP                                                    \
  "s1mple-plugin;abi=" S1MPLE_PLUGIN_STR(                                      \
      S1MPLE_PLUGIN_ABI_VERSION) ";sdk=9.9.9;compiler=" S1MPLE_PLUGIN_COMPILER \
                                 ";arch=" S1MPLE_PLUGIN_ARCH ";cxx11abi=" S1MPLE_PLUGIN_CXX11ABI
#elif defined(TEST_STAMP) && TEST_STAMP == 3
#define S1MPLE_PLUGIN_STAMP                                                     \
  "s1mple-plugin;abi=" S1MPLE_PLUGIN_STR(                                       \
      S1MPLE_PLUGIN_ABI_VERSION) ";sdk=" S1MPLE_SDK_VERSION                     \
                                 ";compiler=othercc-1;arch=" S1MPLE_PLUGIN_ARCH \
                                 ";cxx11abi=" S1MPLE_PLUGIN_CXX11ABI
#endif
