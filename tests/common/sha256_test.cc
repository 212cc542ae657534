// The project's one SHA-256 (content addresses of artifacts and plans).
#include "common/sha256.h"

#include <gtest/gtest.h>

namespace s1mple {
namespace {

TEST(Sha256, OfKnownInput) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_TRUE(IsSha256Hex(Sha256Hex("")));
  EXPECT_FALSE(IsSha256Hex("ABC"));
}

}  // namespace
}  // namespace s1mple
