// CurveZMQ + ZAP: known keys get through, unknown keys and NULL clients do not.
#include "transport/security.h"
#include "transport/sockets.h"
#include "transport/zap_handler.h"

#include <gtest/gtest.h>

#include <random>

#include "transport/keys.h"

namespace s1mple::transport {
namespace {

using namespace s1mple::protocol;

// A ROUTER that echoes every message back to its sender, with CURVE and a ZAP handler.
struct EchoServer {
  zmq::context_t ctx{1};
  std::unique_ptr<ZapHandler> zap;
  std::unique_ptr<zmq::socket_t> router;
  std::string endpoint;
  CurveKeyPair keys = *GenerateKeyPair();

  explicit EchoServer(std::vector<std::string> authorized) {
    zap = std::move(ZapHandler::Start(ctx, std::move(authorized)).value());
    router = std::make_unique<zmq::socket_t>(ctx, zmq::socket_type::router);
    EXPECT_TRUE(ConfigureCommon(*router).ok());
    EXPECT_TRUE(ConfigureServer(*router, {keys.public_key, keys.secret_key}).ok());
    router->bind("tcp://127.0.0.1:*");
    endpoint = router->get(zmq::sockopt::last_endpoint);
  }
  ~EchoServer() {
    router.reset();
    zap.reset();
  }
  // Serves for up to `ms`, echoing; returns how many messages it echoed.
  int Serve(int ms) {
    int n = 0;
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < end) {
      zmq::pollitem_t item{router->handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(20));
      while (auto parts = RecvParts(*router)) {
        std::string id = (*parts)[0].to_string();
        Frames rest;
        for (size_t i = 1; i < parts->size(); ++i) rest.push_back((*parts)[i].to_string());
        EXPECT_TRUE(SendFrames(*router, rest, &id).ok());
        ++n;
      }
    }
    return n;
  }
};

// Sends a HEARTBEAT and waits up to `ms` for the echo.
bool Echoed(EchoServer& server, const ClientSecurity& security, int ms) {
  zmq::context_t ctx{1};
  zmq::socket_t s(ctx, zmq::socket_type::dealer);
  EXPECT_TRUE(ConfigureCommon(s).ok());
  EXPECT_TRUE(ConfigureClient(s, security).ok());
  s.connect(server.endpoint);
  EXPECT_TRUE(SendMessage(s, Heartbeat{1}).ok());
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < end) {
    server.Serve(20);
    if (auto parts = RecvParts(s)) return true;
  }
  return false;
}

TEST(Transport, KnownKeyIsAdmitted) {
  auto client = *GenerateKeyPair();
  EchoServer server({client.public_key});
  ClientSecurity sec{server.keys.public_key, client.public_key, client.secret_key};
  EXPECT_TRUE(Echoed(server, sec, 3000));
  EXPECT_GE(server.zap->accepted(), 1u);
}

TEST(Transport, UnknownKeyIsRefused) {
  auto known = *GenerateKeyPair();
  auto stranger = *GenerateKeyPair();
  EchoServer server({known.public_key});
  ClientSecurity sec{server.keys.public_key, stranger.public_key, stranger.secret_key};
  EXPECT_FALSE(Echoed(server, sec, 800));
  EXPECT_GE(server.zap->refused(), 1u);
}

TEST(Transport, NullSecurityClientIsRefused) {
  auto known = *GenerateKeyPair();
  EchoServer server({known.public_key});
  EXPECT_FALSE(Echoed(server, ClientSecurity{}, 800));
}

TEST(Transport, LoopbackEndpointsAreLocal) {
  EXPECT_TRUE(IsLocalEndpoint("tcp://127.0.0.1:5555"));
  EXPECT_TRUE(IsLocalEndpoint("tcp://localhost:5555"));
  EXPECT_TRUE(IsLocalEndpoint("tcp://[::1]:5555"));
  EXPECT_TRUE(IsLocalEndpoint("ipc:///tmp/x"));
  EXPECT_TRUE(IsLocalEndpoint("inproc://broker"));
  EXPECT_FALSE(IsLocalEndpoint("tcp://0.0.0.0:5555"));
  EXPECT_FALSE(IsLocalEndpoint("tcp://*:5555"));
  EXPECT_FALSE(IsLocalEndpoint("tcp://10.0.0.1:5555"));
}

}  // namespace
}  // namespace s1mple::transport
