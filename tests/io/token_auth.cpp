#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <tether/io/token_auth.hpp>

namespace fs = std::filesystem;

TEST_CASE("token_auth: a token file is re-read on every refresh", "[auth]") {
  const fs::path path = fs::temp_directory_path() / ("tether-token-" + std::to_string(::getpid()));
  tether::io::TokenFileAuth auth(path);
  auto missing = auth.refresh();
  REQUIRE_FALSE(missing);
  CHECK(missing.error().find(path.string()) != std::string::npos);
  std::ofstream(path) << "  first-token \n";
  CHECK(auth.refresh()->bearer_token == "first-token");
  std::ofstream(path) << "second-token";
  CHECK(auth.refresh()->bearer_token == "second-token");
  std::ofstream(path) << "\n \n";
  CHECK(auth.refresh().error().find("is empty") != std::string::npos);
  std::ofstream(path) << "a\nb\n";
  CHECK(auth.refresh().error().find("more than one line") != std::string::npos);
  fs::remove(path);
}

TEST_CASE("token_auth: a token command's first line, or its failure", "[auth]") {
  CHECK(tether::io::TokenCommandAuth("printf 'tok-123\\nignored\\n'").refresh()->bearer_token == "tok-123");
  auto failed = tether::io::TokenCommandAuth("exit 3").refresh();
  REQUIRE_FALSE(failed);
  CHECK(failed.error().find("exit status 3") != std::string::npos);
  CHECK(tether::io::TokenCommandAuth("true").refresh().error().find("printed no token") != std::string::npos);
  // Output past the cap is drained (the command is not blocked) but dropped.
  auto big = tether::io::TokenCommandAuth("echo big; head -c 200000 /dev/zero | tr '\\\\0' x").refresh();
  REQUIRE(big);
  CHECK(big->bearer_token == "big");
}
