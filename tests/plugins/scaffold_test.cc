// `s1mple plugin new` for every (language, category) pair (issue 17): the scaffold builds as it
// is (C++: cmake against the S1mple package of this build tree), its unit test passes (ctest, or
// `s1mple plugin test` for Python), `plugin check` accepts it and `s1mple optimize plan.yaml`
// runs its sweep to results. And the installed SDK: `cmake --install` into a fresh prefix, then
// an out-of-tree project that finds it with -DCMAKE_PREFIX_PATH alone (no hints) builds, and
// the installed s1mple's `plugin check` and `run` accept the package.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/process.h"

namespace s1mple::testing {
namespace {

namespace fs = std::filesystem;

CommandResult Exec(std::vector<std::string> argv, int limit_s = 240) {
  argv.insert(argv.begin(), {"timeout", "-k", "5", std::to_string(limit_s)});
  return Run(argv);
}

std::string Slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Rows of results.csv (its header excluded).
size_t ResultRows(const fs::path& runs) {
  for (const auto& d : fs::directory_iterator(runs)) {
    const std::string csv = Slurp(d.path() / "results.csv");
    size_t n = 0;
    for (char c : csv) n += c == '\n';
    return n > 0 ? n - 1 : 0;
  }
  return 0;
}

class Scaffold : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("s1mple-scaffold-" + std::to_string(::getpid()) + "-" + GetParam());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }
  // Runs `s1mple optimize plan.yaml` in `project` and checks every job gave a result.
  void Sweep(const fs::path& project, size_t jobs) {
    auto r = Exec({"sh", "-c",
                   "cd " + ShellQuote(project.string()) + " && " + ShellQuote(S1mpleBin()) +
                       " optimize plan.yaml"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("best by sharpe_ratio"), std::string::npos) << r.out;
    EXPECT_EQ(ResultRows(project / "runs"), jobs) << r.out;
  }
  fs::path dir_;
};

// The jobs of each category's plan.yaml.
size_t PlanJobs(const std::string& category) {
  if (category == "opportunity") return 8;
  if (category == "planning") return 6;
  return 6;  // context, threat, execution: 3 values x 2 fast periods
}

TEST_P(Scaffold, PythonScaffoldTestsChecksAndSweeps) {
  const std::string category = GetParam();
  const std::string name = "py_" + category + "_w";
  const fs::path project = dir_ / "py";
  auto w = Exec({S1mpleBin(), "plugin", "new", name, "--lang", "python", "--category", category,
                 project.string()});
  ASSERT_EQ(w.exit_code, 0) << w.err;
  auto t = Exec({S1mpleBin(), "plugin", "test", (project / ("test_" + name + ".py")).string()});
  EXPECT_EQ(t.exit_code, 0) << t.out << t.err;
  EXPECT_NE(t.out.find("all tests passed"), std::string::npos) << t.out;
  auto c = Exec({S1mpleBin(), "plugin", "check", (project / (name + ".py")).string()});
  EXPECT_EQ(c.exit_code, 0) << c.out << c.err;
  EXPECT_NE(c.out.find(name + "  "), std::string::npos) << c.out;
  Sweep(project, PlanJobs(category));
}

TEST_P(Scaffold, CppScaffoldBuildsTestsChecksAndSweeps) {
  const std::string category = GetParam();
  if (category == "opportunity")
    GTEST_SKIP() << "tests/system/plugin_sweep_test.cc builds, sweeps and distributes it";
  const std::string name = "cpp_" + category + "_w";
  const fs::path project = dir_ / "cpp";
  auto w = Exec({S1mpleBin(), "plugin", "new", name, "--lang", "cpp", "--category", category,
                 project.string()});
  ASSERT_EQ(w.exit_code, 0) << w.err;
  auto conf = Exec({"cmake", "-S", project.string(), "-B", (project / "build").string()});
  ASSERT_EQ(conf.exit_code, 0) << conf.out << conf.err;
  auto build = Exec({"cmake", "--build", (project / "build").string(), "-j2"});
  ASSERT_EQ(build.exit_code, 0) << build.out << build.err;
  auto unit = Exec({"ctest", "--test-dir", (project / "build").string(), "--output-on-failure"});
  EXPECT_EQ(unit.exit_code, 0) << unit.out << unit.err;
  const fs::path lib = project / "build" / ("lib" + name + ".so");
  auto c = Exec({S1mpleBin(), "plugin", "check", lib.string()});
  EXPECT_EQ(c.exit_code, 0) << c.out << c.err;
  EXPECT_NE(c.out.find(name + "  "), std::string::npos) << c.out;
  Sweep(project, PlanJobs(category));
}

INSTANTIATE_TEST_SUITE_P(EveryCategory, Scaffold,
                         ::testing::Values("context", "opportunity", "threat", "planning",
                                           "execution"),
                         [](const auto& param_info) { return param_info.param; });

TEST(InstalledSdk, AnOutOfTreeProjectFindsItWithThePrefixPathAloneAndItsPackageChecks) {
  const fs::path dir =
      fs::temp_directory_path() / ("s1mple-installed-sdk-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const fs::path prefix = dir / "prefix";
  auto inst = Exec({"cmake", "--install", S1MPLE_TEST_BUILD_DIR, "--prefix", prefix.string()});
  ASSERT_EQ(inst.exit_code, 0) << inst.out << inst.err;
  const std::string installed = (prefix / "bin/s1mple").string();
  ASSERT_TRUE(fs::exists(prefix / "lib/cmake/S1mple/S1mpleConfig.cmake"));
  // The installed s1mple writes the scaffold (its sources); the project's own CMakeLists.txt
  // has no hint: find_package finds the SDK through CMAKE_PREFIX_PATH only.
  const fs::path project = dir / "proj";
  auto w = Exec({installed, "plugin", "new", "inst_threat", "--lang", "cpp", "--category", "threat",
                 project.string()});
  ASSERT_EQ(w.exit_code, 0) << w.err;
  std::ofstream(project / "CMakeLists.txt")
      << "cmake_minimum_required(VERSION 3.25)\nproject(inst_threat LANGUAGES CXX)\n"
         "set(CMAKE_BUILD_TYPE Release)\nfind_package(S1mple CONFIG REQUIRED)\n"
         "s1mple_add_plugin(inst_threat src/inst_threat.cc)\n"
         "set_target_properties(inst_threat PROPERTIES LIBRARY_OUTPUT_DIRECTORY "
         "${CMAKE_BINARY_DIR})\n"
         "add_executable(inst_threat_test test/inst_threat_test.cc)\n"
         "target_link_libraries(inst_threat_test PRIVATE S1mple::harness)\n"
         "target_compile_definitions(inst_threat_test PRIVATE "
         "PACKAGE_PATH=\"$<TARGET_FILE:inst_threat>\")\n"
         "add_dependencies(inst_threat_test inst_threat)\n"
         "enable_testing()\nadd_test(NAME inst_threat_test COMMAND inst_threat_test)\n";
  auto conf = Exec({"cmake", "-S", project.string(), "-B", (project / "build").string(),
                    "-DCMAKE_PREFIX_PATH=" + prefix.string()});
  ASSERT_EQ(conf.exit_code, 0) << conf.out << conf.err;
  // It found the installed package, not the build tree's.
  const std::string cache = Slurp(project / "build/CMakeCache.txt");
  EXPECT_NE(cache.find("S1mple_DIR:PATH=" + (prefix / "lib/cmake/S1mple").string()),
            std::string::npos)
      << cache.substr(0, 2000);
  auto build = Exec({"cmake", "--build", (project / "build").string(), "-j2"});
  ASSERT_EQ(build.exit_code, 0) << build.out << build.err;
  auto unit = Exec({"ctest", "--test-dir", (project / "build").string(), "--output-on-failure"});
  EXPECT_EQ(unit.exit_code, 0) << unit.out << unit.err;
  auto c = Exec({installed, "plugin", "check", (project / "build/libinst_threat.so").string()});
  EXPECT_EQ(c.exit_code, 0) << c.out << c.err;
  EXPECT_NE(c.out.find("inst_threat  ThreatWorker/market_risk"), std::string::npos) << c.out;
  auto run = Exec({"sh", "-c",
                   "cd " + ShellQuote(project.string()) + " && " + ShellQuote(installed) +
                       " run operation.yaml --out one"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  if (!::testing::Test::HasFailure()) fs::remove_all(dir);
}

}  // namespace
}  // namespace s1mple::testing
