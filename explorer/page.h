// The Trade Explorer page: one self-contained HTML document (page, styles, scripts and Apache
// ECharts inlined), generated at build time from ui/ by ui/build.mjs and compiled into the
// explorer library, so the s1mple binary serves it with no files beside it.
#pragma once

#include <string_view>

namespace s1mple::explorer {

// The page. In it, the marker kSnapshotMarker stands where report.html puts its data.
std::string_view ExplorerPageHtml();

// True when the page was built from ui/ (false: node or ui/node_modules was missing at
// configure time and a short stand-in page that says so is served instead).
bool ExplorerPageIsBuilt();

// Where WriteReportHtml inserts <script type="application/json" id="snapshot">...</script>.
inline constexpr std::string_view kSnapshotMarker = "<!--S1MPLE_SNAPSHOT-->";

}  // namespace s1mple::explorer
