# The Trade Explorer's build glue (issue 9), included from explorer/CMakeLists.txt:
#  - links cpp-httplib (Debian libcpp-httplib-dev ships only a pkg-config file) into the
#    explorer library, privately, for explorer/server.cc;
#  - builds ui/ into one self-contained HTML (ui/build.mjs, needs node and ui/node_modules from
#    `npm ci`, which scripts/setup runs) and compiles it into the explorer library as a generated
#    .cc, so the s1mple binary serves the page with no files beside it.
# Without node or node_modules, configuring still works: a stand-in page that says how to build
# the real one is compiled in instead (and the ui tests fail, saying the same).
find_package(PkgConfig REQUIRED)
pkg_check_modules(CPPHTTPLIB REQUIRED IMPORTED_TARGET GLOBAL cpp-httplib)
find_program(S1MPLE_NODE NAMES node nodejs)

set(S1MPLE_UI_DIR ${PROJECT_SOURCE_DIR}/ui)
set(S1MPLE_EXPLORER_HTML ${CMAKE_BINARY_DIR}/ui/explorer.html)
set(_explorer_cc ${CMAKE_BINARY_DIR}/ui/explorer_page.cc)
set(_echarts ${S1MPLE_UI_DIR}/node_modules/echarts/dist/echarts.min.js)

function(s1mple_explorer_attach target)
  if(S1MPLE_NODE AND EXISTS "${S1MPLE_NODE}" AND EXISTS ${_echarts})
    file(GLOB _ui_srcs CONFIGURE_DEPENDS ${S1MPLE_UI_DIR}/src/*)
    add_custom_command(
      OUTPUT ${S1MPLE_EXPLORER_HTML} ${_explorer_cc}
      COMMAND ${S1MPLE_NODE} ${S1MPLE_UI_DIR}/build.mjs --html ${S1MPLE_EXPLORER_HTML}
              --cc ${_explorer_cc}
      DEPENDS ${S1MPLE_UI_DIR}/build.mjs ${_ui_srcs} ${_echarts}
              ${S1MPLE_UI_DIR}/package-lock.json
      COMMENT "Building the Trade Explorer page from ui/"
      VERBATIM)
    set_property(GLOBAL PROPERTY S1MPLE_EXPLORER_PAGE_BUILT ON)
  else()
    message(WARNING "Trade Explorer: node or ui/node_modules missing (run scripts/setup, or "
                    "`npm ci` in ui/); the s1mple binary will serve a stand-in page.")
    file(WRITE ${_explorer_cc} [=[
// Stand-in written by ui/explorer.cmake: node or ui/node_modules was missing at configure time.
#include "explorer/page.h"
namespace s1mple::explorer {
std::string_view ExplorerPageHtml() {
  return "<!doctype html><html><head><meta charset=utf-8><title>Trade Explorer</title></head>"
         "<body><h1>Trade Explorer</h1><p>This build has no page: node or ui/node_modules was "
         "missing when it was configured. Run <code>scripts/setup</code> (it runs "
         "<code>npm ci</code> in ui/) and rebuild. The JSON API under <a href=/api/sweeps>"
         "/api/sweeps</a> works.</p><!--S1MPLE_SNAPSHOT--></body></html>";
}
bool ExplorerPageIsBuilt() { return false; }
}  // namespace s1mple::explorer
]=])
    set_property(GLOBAL PROPERTY S1MPLE_EXPLORER_PAGE_BUILT OFF)
  endif()
  target_sources(${target} PRIVATE ${_explorer_cc})
  target_link_libraries(${target} PRIVATE PkgConfig::CPPHTTPLIB)
endfunction()
