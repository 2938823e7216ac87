#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <tether/model/names.hpp>

using namespace tether::model;

TEST_CASE("every enum value has its own name", "[names]") {
  std::set<std::string> seen;
  for (int i = 0; i <= static_cast<int>(Reason::restart_requested); ++i) {
    const auto n = std::string(name_of(static_cast<Reason>(i)));
    CHECK(n != "unknown");
    CHECK(seen.insert(n).second);
  }
  seen.clear();
  for (int i = 0; i <= static_cast<int>(StatusKind::paused); ++i)
    CHECK(seen.insert(std::string(name_of(static_cast<StatusKind>(i)))).second);
  CHECK(name_of(static_cast<Reason>(200)) == "unknown");
}

TEST_CASE("phases, events and effects are named", "[names]") {
  CHECK(name_of(Phase{Streaming{}}) == "Streaming");
  CHECK(name_of(Event{FrameReceived{}}) == "FrameReceived");
  CHECK(name_of(Effect{Deliver{}}) == "Deliver");
  CHECK(name_of(Event{NetworkRestored{}}) == "NetworkRestored");
  CHECK(name_of(Event{ReconnectRequested{}}) == "ReconnectRequested");
  CHECK(name_of(Phase{Paused{}}) == "Paused");
  CHECK(name_of(ReconnectWhy::network_changed) == "network_changed");
  CHECK(name_of(ReconnectWhy::restart) == "restart");
}
