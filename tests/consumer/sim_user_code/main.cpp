// A downstream application under simulation: "orders", which persists every
// event it receives to its database and only then acks it, so the stream's
// checkpoint never gets ahead of what it stored. Its CI runs this program:
//   1. the application passes 1,000 swarm seeds under the team's own
//      configuration file (policy.json), its invariant checked after every step;
//   2. a variant with the classic bug (ack first, persist later) fails, and the
//      campaign shrinks the failure and writes it as a scenario file that
//      replays it.
// Exit 0 only if both hold.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tether/io/config.hpp>
#include <tether/sim/campaign.hpp>
#include <tether/sim/client_code.hpp>
#include <tether/sim/scenario_json.hpp>
#include <tether/sim/session_world.hpp>

namespace {

namespace io = tether::io;
namespace sim = tether::sim;

// The application's database; it survives the process's crashes.
struct Database {
  std::set<std::uint64_t> orders;
};

// Written against io::Application and io::SessionControl only: the same class
// runs under the Asio Runner (io::Runner::start_application(options, factory)).
class OrdersApp final : public io::Application {
 public:
  OrdersApp(io::SessionControl& process, Database& db, bool ack_first)
      : process_(process), db_(db), ack_first_(ack_first) {}

  void on_delivery(const io::Delivery& d) override {
    if (!d.sequence) return;
    const std::uint64_t order = *d.sequence;
    const std::uint64_t id = d.delivery_id;
    Database& db = db_;
    io::SessionControl& process = process_;
    if (ack_first_) {  // the bug
      process.ack(id);
      process.after(write_ms, [&db, order] { db.orders.insert(order); });
      return;
    }
    process.after(write_ms, [&db, &process, order, id] {
      db.orders.insert(order);  // durable first ...
      process.ack(id);          // ... then the stream may checkpoint past it
    });
  }
  void on_gap(const tether::model::ReportGap&) override {}
  void on_status(const tether::model::Status&) override {}
  void on_diagnostic(const io::Diagnostic&) override {}

  static constexpr sim::Ms write_ms = 120;  // the database's write latency

 private:
  io::SessionControl& process_;
  Database& db_;
  bool ack_first_;
};

class OrdersCode final : public sim::ClientCode {
 public:
  explicit OrdersCode(bool ack_first) : ack_first_(ack_first) {}
  std::unique_ptr<io::Application> start(sim::Process& process) override {
    return std::make_unique<OrdersApp>(process, db_, ack_first_);
  }
  // A restart resumes after the checkpoint: an order the database does not
  // hold at or before it would be lost for good.
  std::optional<std::string> check(const sim::ClientView& view) override {
    if (view.durable_sequence && !db_.orders.contains(*view.durable_sequence))
      return "checkpoint at order " + std::to_string(*view.durable_sequence) +
             ", which the database does not hold";
    return std::nullopt;
  }

 private:
  Database db_;
  bool ack_first_;
};

sim::RunOptions orders(bool ack_first) {
  sim::RunOptions options;
  options.client_code = [ack_first](std::uint32_t) {
    return std::make_unique<OrdersCode>(ack_first);
  };
  return options;
}

}  // namespace

int main() {
  const auto config = io::load_config(POLICY_FILE);
  if (!config) {
    std::fprintf(stderr, "consumer: %s\n", config.error().message().c_str());
    return 1;
  }
  sim::CampaignOptions campaign;
  campaign.seeds = 1000;
  campaign.policy = config->session;
  campaign.failure_dir = FAILURE_DIR;

  campaign.run = orders(false);
  const sim::CampaignResult good = sim::run_campaign(campaign);
  std::printf("persist, then ack: %s", sim::describe(good).c_str());
  if (!good.ok() || good.scenarios != 1000) return 1;

  campaign.run = orders(true);
  const sim::CampaignResult bad = sim::run_campaign(campaign);
  std::printf("ack, then persist: %s", sim::describe(bad).c_str());
  if (bad.ok() || bad.failure->file.empty()) return 1;

  // The written scenario replays the failure, and the correct code passes it.
  std::ifstream in(bad.failure->file);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto scenario = sim::parse_scenario(text);
  if (!scenario) return 1;
  const sim::RunResult replayed = sim::run_session(*scenario, orders(true));
  if (replayed.violations.empty() ||
      replayed.violations.front().guarantee != sim::Guarantee::client_invariant)
    return 1;
  if (!sim::run_session(*scenario, orders(false)).ok()) return 1;
  std::printf("the shrunk scenario replays the failure; the correct application passes it\n");
  return 0;
}
