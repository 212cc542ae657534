// A test package whose one plugin misbehaves on bar `at_bar` as its param `mode` says:
// segfault (SIGSEGV), throw (a std::runtime_error from its hook), abort, loop (never returns),
// leak (allocates until an allocation fails), or none. For the tests that a misbehaving plugin
// takes down one job, never a runner.
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <vector>

#include <s1mple/plugin.h>

using namespace s1mple::engine;

namespace {

class Misbehave final : public OpportunityWorker {
 public:
  explicit Misbehave(const ParamSet& p)
      : mode_(p.GetString("mode")), at_bar_(static_cast<uint32_t>(p.GetInt("at_bar"))) {}

 protected:
  void OnDetect(const BarContext& bar, OpportunitySink&) override {
    if (bar.bar != at_bar_) return;
    if (mode_ == "segfault") {
      std::signal(SIGSEGV, SIG_DFL);
      std::raise(SIGSEGV);
    }
    if (mode_ == "throw") throw std::runtime_error("pkg_misbehave was told to throw");
    if (mode_ == "abort") std::abort();
    if (mode_ == "loop")
      for (;;) asm volatile("" ::: "memory");  // a loop the compiler may not remove
    if (mode_ == "leak") {
      // 64 MiB a step, touched and never freed, until an allocation fails.
      static std::vector<std::unique_ptr<char[]>> kept;
      for (;;) {
        kept.emplace_back(new char[64 << 20]);
        std::memset(kept.back().get(), 1, 64 << 20);
      }
    }
  }

 private:
  std::string mode_;
  uint32_t at_bar_;
};

}  // namespace

S1MPLE_PLUGIN_PACKAGE(registry) {
  PluginManifest m;
  m.name = "pkg_misbehave";
  m.category = WorkerCategory::kOpportunity;
  m.subtype = "test";
  m.description = "misbehaves on bar at_bar as mode says";
  m.params = {
      s1mple::sdk::Enum("mode", "none", {"none", "segfault", "throw", "abort", "loop", "leak"},
                        "what to do on bar at_bar"),
      s1mple::sdk::Int("at_bar", 10, 0, 1000000, "the bar it misbehaves on")};
  m.default_triggers = {"on_context_ready"};
  return registry.Register(std::move(m), s1mple::sdk::Make<Misbehave>());
}
