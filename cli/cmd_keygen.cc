// s1mple keygen NAME: writes NAME.key (secret, mode 0600) and NAME.pub (public), a CurveZMQ
// key pair in Z85, and prints the public key. Never overwrites.
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "transport/keys.h"

namespace s1mple::cli {

void AddKeygenCommand(CLI::App& app, CliContext& ctx) {
  auto name = std::make_shared<std::string>();
  auto* sub =
      app.add_subcommand("keygen", "Write a CurveZMQ key pair: NAME.key (secret) and NAME.pub");
  sub->add_option("NAME", *name, "path prefix of the two files")->required();
  sub->callback([name, &ctx] {
    auto pair = transport::GenerateKeyPair();
    if (!pair.ok()) {
      PrintError(pair.status().ToString());
      ctx.exit_code = kExitFailure;
      return;
    }
    Status st = transport::WriteKeyPair(*name, *pair);
    if (!st.ok()) {
      PrintError(st.ToString());
      ctx.exit_code = kExitFailure;
      return;
    }
    std::cout << pair->public_key << "\n";
  });
}

}  // namespace s1mple::cli
