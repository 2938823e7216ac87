// The session world's construction and its result, run_session and describe
// (<tether/sim/session_world.hpp>); the world itself is session_world_impl.hpp.
#include <memory>
#include <string>
#include <tether/io/sse_stream.hpp>
#include <tether/model/names.hpp>
#include <tether/model/prng.hpp>
#include <tether/sim/session_world.hpp>
#include <tether/sim/watch_code.hpp>
#include <utility>

#include "session_world_impl.hpp"

namespace tether::sim {

namespace session_world {

using namespace tether::model;

World::World(const Scenario& scenario, const SessionConfig& config, const RunOptions& options)
    : scenario_(scenario),
      config_(config),
      options_(options),
      server_(ServerParams{scenario.world.retention_ms, scenario.world.auth,
                           scenario.world.token_lifetime_ms, scenario.world.opaque_ids,
                           scenario.world.filter_skip_every, scenario.world.resume_overlap,
                           scenario.world.id_bytes, scenario.world.server_error_retry_after_ms,
                           scenario.world.id_reset_every}),
      oracle_(config, scenario.clients),
      trace_(options.keep_trace_text) {
  const WorldParams& world = scenario.world;
  oracle_.set_filter(world.filter_skip_every);
  oracle_.set_replay_end(world.replay_end_sequence);
  replay_end_ = world.replay_end_sequence;
  const io::SseSignals signals{std::string(cursor_expired_type), std::string(replay_finished_type)};
  clients_.reserve(scenario.clients);
  for (std::uint32_t i = 0; i < scenario.clients; ++i) {
    const auto stream = [&](std::uint64_t base) {
      return Prng::derive(scenario.seed, base + std::uint64_t{i});
    };
    const Client::Streams streams{.link = stream(0x200),
                                  .app = stream(0x100),
                                  .chunk = stream(0x300),
                                  .crash = stream(0x400),
                                  .process = stream(0x500)};
    clients_.push_back(std::make_unique<Client>(
        *this, i, LinkParams{world.latency_ms_min, world.latency_ms_max}, streams, signals));
  }
  for (std::uint32_t i = 0; i < scenario.clients; ++i)
    clients_[i]->code =
        options.client_code ? options.client_code(i)
        : world.tether_watch
            ? watch_client_code()(i)
            : builtin_client_code(world.ack_delay_ms, config.resume.commit == CommitPolicy::on_ack);
}

// What the run found, once the loop has ended.
RunResult World::result() {
  RunResult r;
  r.trace_hash = trace_.hash();
  r.events = events_;
  r.violations = oracle_.violations();
  r.violations.insert(r.violations.end(), invariant_violations_.begin(),
                      invariant_violations_.end());
  r.violations.insert(r.violations.end(), hot_loop_.begin(), hot_loop_.end());
  if (events_ >= options_.events_max)
    r.violations.push_back(Violation{
        Guarantee::liveness, {}, "event limit reached (a hot loop?)", now_ms(), all_clients});
  r.coverage = coverage_;
  r.trace = trace_.text();
  r.end_ms = now_ms();
  r.liveness_check_ms = liveness_at_;
  r.server_head = server_.head();
  for (auto& c : clients_) {
    c->report.final_phase =
        c->driver ? name_of(c->driver->state().phase) : std::string_view("down");
    r.clients.push_back(std::move(c->report));
  }
  return r;
}

}  // namespace session_world

namespace {

// Why the scenario cannot run (empty: it can).
std::string invalid(const Scenario& scenario) {
  const model::SessionConfig& config = scenario.config;
  if (auto ok = model::validate(config); !ok)
    return "config: " + std::string(ok.error().field) + ": " + std::string(ok.error().reason);
  const WorldParams& world = scenario.world;
  if (scenario.clients == 0 || world.append_every_ms <= 0 || world.latency_ms_min < 0 ||
      world.latency_ms_max < world.latency_ms_min)
    return "world: clients >= 1, append_every_ms > 0, 0 <= latency_ms_min <= latency_ms_max";
  if (world.replay_end_sequence > 0 && config.resume.mode != model::StreamMode::replay_only)
    return "world.replay_end_sequence: a replay that ends needs resume.mode = replay_only";
  if (world.tether_watch && config.resume.commit != model::CommitPolicy::on_ack)
    return "world.tether_watch: tether-watch needs resume.commit = on_ack (it refuses any other)";
  return {};
}

}  // namespace

RunResult run_session(const Scenario& scenario, const RunOptions& options) {
  if (std::string error = invalid(scenario); !error.empty()) {
    RunResult bad;
    bad.error = std::move(error);
    return bad;
  }
  const model::SessionConfig& config = scenario.config;
  RunResult r = session_world::World(scenario, config, options).run();
  if (options.check_determinism) {
    RunOptions again = options;
    again.check_determinism = false;
    again.keep_trace_text = false;
    const RunResult second = session_world::World(scenario, config, again).run();
    if (second.trace_hash != r.trace_hash)
      r.violations.push_back(Violation{Guarantee::determinism,
                                       {},
                                       "same scenario, different trace hash",
                                       r.end_ms,
                                       all_clients});
  }
  return r;
}

std::string describe(const RunResult& r) {
  std::string out;
  if (!r.error.empty()) out += "error: " + r.error + "\n";
  // Appends, not `"g" + std::string&&`: GCC 12 at -O3 reports a false
  // -Wrestrict in operator+(const char*, string&&).
  for (const Violation& v : r.violations) {
    out.append("g").append(std::to_string(number(v.guarantee))).append(" c");
    out.append(v.subject == all_clients ? std::string("*") : std::to_string(v.subject));
    out.append(" @").append(std::to_string(v.at_ms)).append(": ").append(v.message).append("\n");
  }
  return out;
}

}  // namespace tether::sim
