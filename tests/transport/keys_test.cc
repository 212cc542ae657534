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

// A .pub path that happens to be 40 characters of the Z85 alphabet is read as a file, not taken
// for a key (it made every CurveZMQ handshake fail with an "unknown key").
TEST(Keys, PublicKeyPathOfFortyZ85CharactersIsReadAsAFile) {
  fs::path dir = fs::temp_directory_path() / "s1mple-keys-40";
  fs::remove_all(dir);
  fs::create_directories(dir);
  // DIR/XXXX/broker.pub with as many X as make the whole path 40 characters.
  const size_t fixed = dir.string().size() + 1 + std::string("/broker.pub").size();
  ASSERT_LT(fixed, 40u) << dir;
  const fs::path sub = dir / std::string(40 - fixed, 'k');
  fs::create_directories(sub);
  const std::string path = (sub / "broker.pub").string();
  ASSERT_EQ(path.size(), 40u) << path;
  auto pair = *GenerateKeyPair();
  ASSERT_TRUE(WriteKeyPair(sub / "broker", pair).ok());
  auto pub = LoadPublicKey(path);
  ASSERT_TRUE(pub.ok()) << pub.status().ToString();
  EXPECT_EQ(*pub, pair.public_key);
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
