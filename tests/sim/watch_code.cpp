// tether-watch's output under simulation (sim/src/watch_code.cpp): the same
// io::LineOutput tether-watch prints with, over a simulated stdout that loses
// unflushed bytes at a crash.
#include <catch2/catch.hpp>
#include <cstdint>
#include <tether/sim/campaign.hpp>
#include <tether/sim/swarm.hpp>
#include <tether/sim/watch_code.hpp>

using namespace tether::sim;
namespace model = tether::model;

namespace {

CampaignResult campaign(model::CommitPolicy commit, WatchCodeOptions options, std::uint64_t seeds) {
  CampaignOptions c;
  c.seeds = seeds;
  model::SessionConfig policy = swarm_scenario(1).config;
  policy.resume.commit = commit;
  policy.resume.checkpoint_every_events = 1;
  c.policy = policy;
  c.run.client_code = watch_client_code(options);
  return run_campaign(c);
}

}  // namespace

TEST_CASE(
    "tether-watch under simulation: the checkpoint never passes a line the reader did not get",
    "[watch_code]") {
  const CampaignResult r = campaign(model::CommitPolicy::on_ack, {}, 300);
  INFO(describe(r));
  CHECK(r.ok());
  CHECK(r.scenarios == 300);
}

TEST_CASE("tether-watch under simulation: acking a line when written (its old defect) is caught",
          "[watch_code]") {
  WatchCodeOptions defect;
  defect.ack_when_written = true;
  const CampaignResult r = campaign(model::CommitPolicy::on_ack, defect, 300);
  INFO(describe(r));
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure->violations.find("whose line the reader of stdout never got") !=
        std::string::npos);
}

// Why tether-watch refuses resume.commit = on_next_delivery: delivery n is
// checkpointed when n + 1 arrives, while n's line may still wait in stdout's
// buffer.
TEST_CASE(
    "tether-watch under simulation: commit on_next_delivery lets the checkpoint pass unflushed "
    "lines",
    "[watch_code]") {
  const CampaignResult r = campaign(model::CommitPolicy::on_next_delivery, {}, 300);
  INFO(describe(r));
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure->violations.find("whose line the reader of stdout never got") !=
        std::string::npos);
}
