// One application interface (io::Application + io::SessionControl): the class
// the simulator's campaign runs in every simulated process
// (tests/sim/client_code.cpp) runs here, unchanged, under the real Runner
// against a scripted loopback server.
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <tether/io/memory_checkpoint_store.hpp>
#include <tether/io/runner.hpp>

#include "scripted_server.hpp"
#include "session_support.hpp"
#include "support/persisting_app.hpp"

namespace {

using namespace tether;
using namespace std::chrono_literals;
using io::testing::Behaviour;
using io::testing::numbered_events;
using io::testing::ScriptedServer;
using tether::testing::Database;
using tether::testing::PersistingApp;

io::RunnerOptions options_for(const ScriptedServer& server,
                              std::shared_ptr<io::MemoryCheckpointStore> store) {
  io::RunnerOptions o = io::testing::quick_options(server);
  o.config.resume.commit = model::CommitPolicy::on_ack;
  o.store = std::move(store);
  return o;
}

}  // namespace

TEST_CASE(
    "application: the simulator's persist-then-ack application runs under the Runner unchanged",
    "[application]") {
  ScriptedServer server({Behaviour::sse(numbered_events(5))});
  auto store = std::make_shared<io::MemoryCheckpointStore>();
  Database db;
  auto runner =
      io::Runner::start_application(options_for(server, store), [&db](io::SessionControl& session) {
        return std::make_unique<PersistingApp>(session, db, /*ack_first=*/false);
      });
  REQUIRE(runner);
  // Each ack comes from the application's own timer (SessionControl::after),
  // after its write: wait for the writes, then stop (the flush is durable).
  REQUIRE(db.wait_for_size(5, 10s));
  (*runner)->stop();
  CHECK((*runner)->status().kind == model::StatusKind::stopped);
  const auto saved = store->load();
  REQUIRE(saved);
  REQUIRE(saved->has_value());
  CHECK((*saved)->sequence == 5);
  CHECK(db.contains((*saved)->sequence));
}

TEST_CASE(
    "application: SessionControl::stop from the application's own timer ends the session, its ack "
    "first",
    "[application]") {
  ScriptedServer server({Behaviour::sse(numbered_events(5))});
  auto store = std::make_shared<io::MemoryCheckpointStore>();
  Database db;
  auto runner =
      io::Runner::start_application(options_for(server, store), [&db](io::SessionControl& session) {
        return std::make_unique<PersistingApp>(session, db, /*ack_first=*/false, /*stop_after=*/3);
      });
  REQUIRE(runner);
  // No Runner::stop(): the application stops itself after persisting event 3.
  REQUIRE((*runner)->wait_until_finished(10s));
  CHECK((*runner)->status().kind == model::StatusKind::stopped);
  const auto saved = store->load();
  REQUIRE(saved);
  REQUIRE(saved->has_value());
  CHECK((*saved)->sequence >= 3);  // the ack made before the stop is in the flush
  CHECK(db.contains((*saved)->sequence));
}

TEST_CASE("application: an empty factory, or one that makes no application, is a start error",
          "[application]") {
  ScriptedServer server({Behaviour::sse(numbered_events(1))});
  auto store = std::make_shared<io::MemoryCheckpointStore>();
  const auto empty =
      io::Runner::start_application(options_for(server, store), io::ApplicationFactory{});
  REQUIRE_FALSE(empty);
  CHECK(empty.error().find("ApplicationFactory") != std::string::npos);
  const auto none = io::Runner::start_application(
      options_for(server, store),
      [](io::SessionControl&) { return std::unique_ptr<io::Application>{}; });
  REQUIRE_FALSE(none);
  CHECK(none.error().find("returned none") != std::string::npos);
}
