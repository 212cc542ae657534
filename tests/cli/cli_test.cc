// The command line surface of `s1mple`: help, version, and usage errors.
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/support/process.h"

namespace s1mple::testing {
namespace {

TEST(Cli, HelpListsEverySubcommand) {
  auto r = RunS1mple({"--help"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const char* sub : {"run", "optimize", "variant", "broker", "runner", "status", "results",
                          "resume", "job", "keygen"}) {
    EXPECT_NE(r.out.find(std::string("\n  ") + sub), std::string::npos) << sub << "\n" << r.out;
  }
}

TEST(Cli, VersionPrintsNameAndVersion) {
  auto r = RunS1mple({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("s1mple ", 0), 0u) << r.out;
}

TEST(Cli, UnknownSubcommandIsOneLineUsageError) {
  auto r = RunS1mple({"frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_EQ(r.err.rfind("s1mple: error: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(Cli, UnknownFlagIsOneLineUsageError) {
  auto r = RunS1mple({"--no-such-flag"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.rfind("s1mple: error: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(Cli, MissingSubcommandIsUsageError) {
  auto r = RunS1mple({});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("s1mple: error: "), std::string::npos) << r.err;
}

TEST(Cli, BadLogLevelIsUsageError) {
  auto r = RunS1mple({"--log-level", "loud", "status"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("log-level"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace s1mple::testing
