// Key files: generation, permissions, loading, authorized-keys parsing with line numbers.
#include "transport/keys.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

namespace s1mple::transport {
namespace {

namespace fs = std::filesystem;

fs::path TempDir(const std::string& name) {
  fs::path d =
      fs::temp_directory_path() / ("s1mple-keys-" + std::to_string(::getpid()) + "-" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

TEST(Keys, WrittenPairLoadsBackWithPrivateSecret) {
  fs::path dir = TempDir("pair");
  auto pair = GenerateKeyPair();
  ASSERT_TRUE(pair.ok());
  ASSERT_TRUE(WriteKeyPair(dir / "broker", *pair).ok());
  struct stat st {};
  ASSERT_EQ(::stat((dir / "broker.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto loaded = LoadKeyPair(dir / "broker.key");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->public_key, pair->public_key);
  EXPECT_EQ(loaded->secret_key, pair->secret_key);
  auto pub = LoadPublicKey((dir / "broker.pub").string());
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(*pub, pair->public_key);
  EXPECT_EQ(*LoadPublicKey(pair->public_key), pair->public_key);
  EXPECT_FALSE(WriteKeyPair(dir / "broker", *pair).ok()) << "must not overwrite";
  fs::remove_all(dir);
}

TEST(Keys, AuthorizedKeysNameTheBadLine) {
  fs::path dir = TempDir("auth");
  auto a = *GenerateKeyPair();
  auto b = *GenerateKeyPair();
  ASSERT_TRUE(WriteKeyPair(dir / "b", b).ok());
  {
    std::ofstream f(dir / "authorized");
    f << "# runners\n\n" << a.public_key << " runner-a\n" << (dir / "b.pub").string() << "\n";
  }
  auto keys = LoadAuthorizedKeys(dir / "authorized");
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_EQ(*keys, (std::vector<std::string>{a.public_key, b.public_key}));
  {
    std::ofstream f(dir / "bad");
    f << a.public_key << "\nnot-a-key\n";
  }
  auto bad = LoadAuthorizedKeys(dir / "bad");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("bad:2"), std::string::npos) << bad.status().message();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace s1mple::transport
