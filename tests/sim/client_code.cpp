// Your code under simulation (sim/src/client_code.cpp, sim/src/campaign.cpp):
// an application with its own persistence runs in every simulated process,
// its invariant is checked after every step, and a campaign finds, shrinks and
// writes the scenario that breaks it.
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tether/sim/campaign.hpp>
#include <tether/sim/client_code.hpp>
#include <tether/sim/scenario_json.hpp>
#include <tether/sim/session_world.hpp>
#include <tether/sim/swarm.hpp>

#include "support/persisting_app.hpp"

using namespace tether::sim;
namespace io = tether::io;
namespace model = tether::model;

namespace {

using tether::testing::Database;
using tether::testing::PersistingApp;  // the same class the Runner runs
                                       // (tests/io/integration/application.cpp)

// The invariant: the checkpoint never gets ahead of the database (a restart
// would resume after an event the application never persisted: lost).
class PersistingCode final : public ClientCode {
 public:
  explicit PersistingCode(bool ack_first) : ack_first_(ack_first) {}
  std::unique_ptr<io::Application> start(Process& process) override {
    ++starts;
    return std::make_unique<PersistingApp>(process, database_, ack_first_);
  }
  std::optional<std::string> check(const ClientView& view) override {
    if (view.durable_sequence && !database_.contains(*view.durable_sequence))
      return "the checkpoint is at sequence " + std::to_string(*view.durable_sequence) +
             ", which the database does not hold";
    return std::nullopt;
  }
  int starts = 0;

 private:
  Database database_;
  bool ack_first_;
};

// The policy: commit on ack, a checkpoint per delivery.
model::SessionConfig policy() {
  model::SessionConfig c = swarm_scenario(1).config;
  c.resume.commit = model::CommitPolicy::on_ack;
  c.resume.checkpoint_every_events = 1;
  return c;
}

RunOptions with_code(bool ack_first) {
  RunOptions o;
  o.client_code = [ack_first](std::uint32_t) {
    return std::make_unique<PersistingCode>(ack_first);
  };
  return o;
}

}  // namespace

TEST_CASE("client code: a persist-then-ack application keeps its invariant over 200 swarm seeds",
          "[client_code]") {
  CampaignOptions c;
  c.seeds = 200;
  c.policy = policy();
  c.run = with_code(false);
  const CampaignResult r = run_campaign(c);
  INFO(describe(r));
  CHECK(r.ok());
  CHECK(r.scenarios == 200);
  CHECK(r.events > 0);
}

TEST_CASE(
    "client code: an application that acks before it persists is caught, shrunk and written as a "
    "file",
    "[client_code]") {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / "tether_sim_client_code_test";
  std::filesystem::remove_all(dir);
  CampaignOptions c;
  c.seeds = 200;
  c.policy = policy();
  c.run = with_code(true);
  c.failure_dir = dir;
  const CampaignResult r = run_campaign(c);
  INFO(describe(r));
  REQUIRE_FALSE(r.ok());
  const CampaignFailure& f = *r.failure;
  CHECK(f.violations.starts_with("g11 "));
  CHECK(f.violations.find("which the database does not hold") != std::string::npos);
  CHECK(f.shrunk.clients <= swarm_scenario(f.seed, policy()).clients);
  REQUIRE_FALSE(f.file.empty());
  REQUIRE(std::filesystem::exists(f.file));
  // The file replays the failure exactly, with the same client code, and the
  // correct application passes it.
  std::ifstream in(f.file);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto scenario = parse_scenario(text);
  REQUIRE(scenario);
  const RunResult again = run_session(*scenario, with_code(true));
  REQUIRE_FALSE(again.violations.empty());
  CHECK(again.violations.front().guarantee == Guarantee::client_invariant);
  CHECK(run_session(*scenario, with_code(false)).ok());
  std::filesystem::remove_all(dir);
  CHECK(describe(r).find("FAILED at seed " + std::to_string(f.seed)) != std::string::npos);
}

TEST_CASE(
    "client code: each process lifetime gets a new application, what a dead one scheduled never "
    "runs",
    "[client_code]") {
  struct Counting final : ClientCode {
    int* starts;
    int* ran;
    Counting(int* s, int* r) : starts(s), ran(r) {}
    struct App final : io::Application {
      void on_delivery(const io::Delivery&) override {}
      void on_gap(const model::ReportGap&) override {}
      void on_status(const model::Status&) override {}
      void on_diagnostic(const io::Diagnostic&) override {}
    };
    std::unique_ptr<io::Application> start(Process& p) override {
      ++*starts;
      CHECK(p.lifetime() == static_cast<std::uint32_t>(*starts));
      int* counter = ran;
      p.after(20000, [counter] { ++*counter; });  // the crash at 10 s comes first in lifetime 1
      return std::make_unique<App>();
    }
  };
  int starts = 0, ran = 0;
  Scenario s;
  s.seed = 5;
  s.safety_ms = 60000;
  s.faults.push_back(Fault{FaultKind::crash, 0, 10000, 1000, 0});
  RunOptions o;
  o.client_code = [&](std::uint32_t) { return std::make_unique<Counting>(&starts, &ran); };
  const RunResult r = run_session(s, o);
  INFO(describe(r));
  CHECK(r.ok());
  CHECK(starts == 2);
  CHECK(ran == 1);  // lifetime 2's, at 31 s; lifetime 1's died with it
}
