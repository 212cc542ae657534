// The binary contract between s1mple and a C++ plugin package (a shared library built against the
// SDK): the stamp a package carries and the entry point s1mple calls. Shared by the SDK (which
// writes the stamp into every package, s1mple/plugin.h) and the engine (which reads it,
// engine/plugin_package.h), so both sides compute the same text from the same macros.
//
// The stamp is one NUL-terminated text in an ELF section of its own, `s1mple_plugin`:
//
//   s1mple-plugin;abi=2;sdk=0.1.0;compiler=gcc-12;arch=x86_64;cxx11abi=1
//
// s1mple reads it from the file before dlopen, so a package built for another ABI, SDK version,
// compiler or architecture is refused before any of its code runs (not even its static
// constructors), with a reason that says which. After dlopen the entry point
// s1mple_plugin_register_v1 is called once per process to register the package's plugins.
//
//   abi       S1MPLE_PLUGIN_ABI_VERSION: bumped whenever a change to the SDK headers changes the
//             layout or meaning of what crosses the boundary (worker.h, context.h, config.h,
//             plugin_registry.h, types.h, data.h, common/status.h). 2: the workers'
//             OnNextActive hooks (quiet bars) added to the vtables of OpportunityWorker and
//             ExecutionWorker.
//   sdk       S1MPLE_SDK_VERSION, the project version (CMakeLists.txt; a test checks they agree).
//   compiler  family and major version (gcc-12, clang-16): the C++ ABI of std types may differ
//             between majors.
//   arch      the CPU architecture (x86_64, aarch64); also checked against the ELF header.
//   cxx11abi  libstdc++'s dual ABI (_GLIBCXX_USE_CXX11_ABI): std::string's layout.
#pragma once

#include <string>  // defines _GLIBCXX_USE_CXX11_ABI

#define S1MPLE_PLUGIN_ABI_VERSION 2
#define S1MPLE_SDK_VERSION "0.1.0"

#define S1MPLE_PLUGIN_STR_(x) #x
#define S1MPLE_PLUGIN_STR(x) S1MPLE_PLUGIN_STR_(x)

#if defined(__clang__)
#define S1MPLE_PLUGIN_COMPILER "clang-" S1MPLE_PLUGIN_STR(__clang_major__)
#elif defined(__GNUC__)
#define S1MPLE_PLUGIN_COMPILER "gcc-" S1MPLE_PLUGIN_STR(__GNUC__)
#else
#define S1MPLE_PLUGIN_COMPILER "unknown"
#endif

#if defined(__x86_64__)
#define S1MPLE_PLUGIN_ARCH "x86_64"
#elif defined(__aarch64__)
#define S1MPLE_PLUGIN_ARCH "aarch64"
#else
#define S1MPLE_PLUGIN_ARCH "unknown"
#endif

#if defined(_GLIBCXX_USE_CXX11_ABI)
#define S1MPLE_PLUGIN_CXX11ABI S1MPLE_PLUGIN_STR(_GLIBCXX_USE_CXX11_ABI)
#else
#define S1MPLE_PLUGIN_CXX11ABI "none"
#endif

// What this translation unit would stamp (the host's own view, or a package's).
#define S1MPLE_PLUGIN_STAMP_OF_THIS_BUILD                                                       \
  "s1mple-plugin;abi=" S1MPLE_PLUGIN_STR(                                                       \
      S1MPLE_PLUGIN_ABI_VERSION) ";sdk=" S1MPLE_SDK_VERSION ";compiler=" S1MPLE_PLUGIN_COMPILER \
                                 ";arch=" S1MPLE_PLUGIN_ARCH ";cxx11abi=" S1MPLE_PLUGIN_CXX11ABI

// The ELF section that holds the stamp, and the entry point's name.
#define S1MPLE_PLUGIN_STAMP_SECTION "s1mple_plugin"
#define S1MPLE_PLUGIN_REGISTER_SYMBOL "s1mple_plugin_register_v1"
