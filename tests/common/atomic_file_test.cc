// The one atomic file writer: all or nothing, and nothing left beside the file.
#include "common/atomic_file.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace s1mple {
namespace {

namespace fs = std::filesystem;

class AtomicFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("s1mple-atomic-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  static std::string Slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  size_t Entries() const {
    return static_cast<size_t>(
        std::distance(fs::directory_iterator(dir_), fs::directory_iterator()));
  }
  fs::path dir_;
};

TEST_F(AtomicFileTest, CommitReplacesTheFileAndLeavesNoTemporary) {
  ASSERT_TRUE(WriteFileAtomically(dir_ / "a.txt", "old\n").ok());
  auto f = AtomicFile::Create(dir_ / "a.txt");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  (*f)->stream() << "new ";
  (*f)->Append("contents\n");
  EXPECT_EQ(Slurp(dir_ / "a.txt"), "old\n");  // not visible before Commit
  ASSERT_TRUE((*f)->Commit().ok());
  EXPECT_EQ(Slurp(dir_ / "a.txt"), "new contents\n");
  EXPECT_EQ(Entries(), 1u);
}

TEST_F(AtomicFileTest, AbandonedWriteKeepsTheOldFile) {
  ASSERT_TRUE(WriteFileAtomically(dir_ / "a.txt", "old\n").ok());
  {
    auto f = AtomicFile::Create(dir_ / "a.txt");
    ASSERT_TRUE(f.ok());
    (*f)->Append("half");
  }
  EXPECT_EQ(Slurp(dir_ / "a.txt"), "old\n");
  EXPECT_EQ(Entries(), 1u);
}

// Several processes writing one content-addressed file (the runner's pool and a plugin package)
// each write their own temporary: two forked writers interleaved never mix their bytes.
TEST_F(AtomicFileTest, ProcessWritersEachHaveTheirOwnTemporary) {
  auto mine = AtomicFile::Create(dir_ / "p.so", AtomicFile::Writers::kProcesses);
  ASSERT_TRUE(mine.ok()) << mine.status().ToString();
  EXPECT_EQ((*mine)->temp_path().filename().string(), "p.so.tmp." + std::to_string(::getpid()));
  (*mine)->Append("same bytes, ");
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto theirs = AtomicFile::Create(dir_ / "p.so", AtomicFile::Writers::kProcesses);
    if (!theirs.ok()) ::_exit(1);
    (*theirs)->Append("same bytes, written whole\n");
    ::_exit((*theirs)->Commit().ok() ? 0 : 2);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(Slurp(dir_ / "p.so"), "same bytes, written whole\n");
  (*mine)->Append("written whole\n");
  ASSERT_TRUE((*mine)->Commit().ok());
  EXPECT_EQ(Slurp(dir_ / "p.so"), "same bytes, written whole\n");
  EXPECT_EQ(Entries(), 1u);
}

// A full disk (the temporary file is /dev/full): IOError with IsNoSpace(), naming the file;
// the old file stays and no temporary is left.
TEST_F(AtomicFileTest, FullDiskIsNoSpaceAndCleansUp) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  ASSERT_TRUE(WriteFileAtomically(dir_ / "a.txt", "old\n").ok());
  fs::create_symlink("/dev/full", dir_ / "a.txt.tmp");
  Status s = WriteFileAtomically(dir_ / "a.txt", std::string(1 << 20, 'x'));
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_TRUE(s.IsNoSpace()) << s.ToString();
  EXPECT_NE(s.message().find("a.txt.tmp"), std::string::npos) << s.ToString();
  EXPECT_EQ(Slurp(dir_ / "a.txt"), "old\n");
  EXPECT_EQ(Entries(), 1u);
}

TEST_F(AtomicFileTest, MissingDirectoryIsAnErrorNamingIt) {
  Status s = WriteFileAtomically(dir_ / "no" / "such" / "a.txt", "x");
  EXPECT_TRUE(s.IsIOError());
  EXPECT_NE(s.message().find("no/such/a.txt.tmp"), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace s1mple
