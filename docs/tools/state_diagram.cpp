// tether-state-diagram: prints the session state machine as a Mermaid
// stateDiagram-v2, discovered by running the reducer, never from a hand-written
// table. docs/state-diagram.mmd is this program's output, and CI diffs the two.
//
// How: under each configuration below, a breadth-first exploration starts from
// model::make() (Idle) and applies every event of a fixed alphabet (each event
// kind with a few parameter variants, at the state's own time and an hour
// later; Tick also at next_deadline) to every state it reaches. States are
// deduplicated by an abstraction key (phase, failure count, flags), and the
// search stops at `depth_max` events. Every transition whose phase name differs
// before and after becomes an edge labelled with the event's name.
//
// Output is deterministic: the reducer is pure, the PRNG is seeded by the
// configuration, and edges and labels print in variant-index order.
//
// Exits 1 (and says why on stderr) if a phase was never reached, or if a phase
// that is not terminal was never left: a refactor that breaks the exploration
// fails CI instead of silently shrinking the diagram.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tether/model/names.hpp>
#include <tether/model/presets.hpp>
#include <tether/model/session.hpp>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

namespace {

using namespace tether::model;

constexpr std::size_t depth_max = 8;         // events applied after make
constexpr std::size_t nodes_max = 200'000;   // per configuration; a runaway key fails loudly
constexpr std::int64_t late_ms = 3'600'000;  // the "much later" variant of every event
constexpr std::size_t phase_count = std::variant_size_v<Phase>;
constexpr std::size_t event_count = std::variant_size_v<Event>;

// --- configurations ----------------------------------------------------------------

struct NamedConfig {
  std::string name;
  SessionConfig config;
};

// Every preset, then the cross product of the policies that decide where a
// transition leads: heartbeat, opening confirmation, auth provider and its
// refresh-failure policy, give-up limits, stream mode, cursor-too-old policy.
// Then a few variants for the remaining knobs (commit batching, retry budget,
// a reconnect due at once).
std::vector<NamedConfig> configurations() {
  std::vector<NamedConfig> out;
  for (const presets::Named& p : presets::all()) out.push_back({std::string(p.name), p.make()});
  for (const bool heartbeat : {false, true})
    for (const bool confirm : {false, true})
      for (const int auth : {0, 1, 2})       // none, refresh failure backoff, terminal
        for (const int give_up : {0, 1, 2})  // none, attempts, outage
          for (const bool replay : {false, true})
            for (const TooOldPolicy too_old : {TooOldPolicy::fail, TooOldPolicy::resync_from_oldest,
                                               TooOldPolicy::resume_from_live}) {
              SessionConfig c = heartbeat ? presets::aviso() : presets::zero_ws();
              if (confirm) c.connect.confirm_timeout_ms = 2000;
              c.auth.has_provider = auth != 0;
              c.auth.on_refresh_failure =
                  auth == 2 ? RefreshFailure::terminal : RefreshFailure::backoff;
              if (give_up == 1) c.give_up.attempts_max = 2;
              if (give_up == 2) c.give_up.outage_ms_max = 60000;
              if (replay) c.resume.mode = StreamMode::replay_only;
              c.resume.start = Cursor::at_sequence(0);
              c.resume.too_old = too_old;
              std::string name = std::string(heartbeat ? "aviso" : "zero_ws") +
                                 (confirm ? "+confirm" : "") + "+auth" + std::to_string(auth) +
                                 "+give_up" + std::to_string(give_up) +
                                 (replay ? "+replay_only" : "") + "+too_old" +
                                 std::to_string(static_cast<int>(too_old));
              out.push_back({std::move(name), c});
            }
  SessionConfig c = presets::zero_ws();
  c.resume.mode = StreamMode::replay_only;
  c.resume.start = Cursor::at_start_time(1'700'000'000'000);
  out.push_back({"replay_from_time", c});
  c = presets::zero_ws();
  c.resume.commit = CommitPolicy::on_next_delivery;
  c.resume.checkpoint_every_events = 10;
  c.resume.checkpoint_every_ms = 1000;
  c.resume.gaps = GapDetection::relaxed;
  out.push_back({"batched_next_delivery", c});
  c = presets::zero_ws();
  c.budget.tokens_max = 2;
  c.budget.refill_ms_per_token = 10000;
  out.push_back({"retry_budget", c});
  // A reconnect the application asks that is due at once (no spread), under
  // an outage limit.
  c = presets::zero_ws();
  c.backoff.restored_delay_ms_max = 0;
  c.give_up.outage_ms_max = 60000;
  out.push_back({"reconnect_at_once", c});
  return out;
}

// --- the event alphabet ------------------------------------------------------------

// A state in the search, with the time of the event that produced it.
struct Node {
  State state;
  Instant now;
  std::size_t depth;
};

void events_at(const State& s, Instant t, std::vector<Event>& out) {
  const Progress& p = s.progress;
  const std::uint64_t last = p.last_sequence.value_or(0);
  const Token token = *Token::make("rev-42");
  out.push_back(Started{t, std::nullopt, std::nullopt});
  out.push_back(Started{t, Cursor::at_sequence(41), Instant{t.ms + 30000}});
  out.push_back(StopRequested{t});
  out.push_back(Tick{t});
  out.push_back(ConnectionOpened{t});
  for (const CloseCause cause :
       {CloseCause::clean_close, CloseCause::unexpected_eof, CloseCause::transport_error,
        CloseCause::protocol_error, CloseCause::unrecoverable})
    out.push_back(ConnectionClosed{t, cause});
  for (const int status : {401, 404, 410, 500})
    out.push_back(ServerRejected{t, static_cast<std::uint16_t>(status), std::nullopt});
  out.push_back(ServerRejected{t, 429, 5000});
  out.push_back(ServerRejected{t, 503, std::nullopt});
  out.push_back(BytesReceived{t});
  out.push_back(FrameReceived{t, last + 1, std::nullopt, std::nullopt, 1});
  out.push_back(FrameReceived{t, last + 5, token, 2000, 2});  // a gap, a token, an SSE retry
  out.push_back(FrameReceived{t, last, std::nullopt, std::nullopt, 3});  // duplicate
  out.push_back(FrameReceived{t, std::nullopt, std::nullopt, std::nullopt, 4});
  out.push_back(CursorExpired{t});
  out.push_back(ReplayFinished{t});
  out.push_back(DeliveryAcked{t, p.delivered_id, p.resume});
  out.push_back(AuthRefreshed{t, std::nullopt});
  out.push_back(AuthRefreshed{t, Instant{t.ms + 90000}});
  out.push_back(AuthRefreshFailed{t});
  out.push_back(CheckpointSaved{t, p.save_requested_id});
  out.push_back(CheckpointSaveFailed{t, p.save_requested_id});
  out.push_back(NetworkRestored{t});
  out.push_back(PauseRequested{t});
  out.push_back(ResumeRequested{t});
  out.push_back(ReconnectRequested{t, ReconnectWhy::network_changed});
  out.push_back(ReconnectRequested{t, ReconnectWhy::restart});
}

std::vector<Event> alphabet(const Node& n) {
  std::vector<Event> out;
  events_at(n.state, n.now, out);
  events_at(n.state, Instant{n.now.ms + late_ms}, out);
  if (const std::optional<Instant> d = next_deadline(n.state))
    out.push_back(Tick{latest(*d, n.now)});
  return out;
}

// --- abstraction -------------------------------------------------------------------

// What distinguishes states for the search: everything but instants and counters
// that only grow. Failure counts are capped: past 4, nothing new happens.
using Key = std::tuple<std::size_t, std::uint32_t, int, bool, bool, bool, bool, int, bool, bool,
                       bool, bool, bool, bool>;

std::uint32_t failures_of(const Phase& phase) {
  return std::visit(
      [](const auto& x) -> std::uint32_t {
        if constexpr (requires { x.failures; }) return x.failures < 4 ? x.failures : 4;
        return 0;
      },
      phase);
}

int reason_of(const Phase& phase) {
  return std::visit(
      [](const auto& x) -> int {
        if constexpr (requires { x.reason; }) return static_cast<int>(x.reason);
        return -1;
      },
      phase);
}

Key key_of(const State& s) {
  const auto* st = std::get_if<Streaming>(&s.phase);
  const auto* c = std::get_if<Connecting>(&s.phase);
  const auto* paused = std::get_if<Paused>(&s.phase);
  const Progress& p = s.progress;
  return Key{s.phase.index(),
             failures_of(s.phase),
             reason_of(s.phase),
             st != nullptr && st->healthy,
             c != nullptr && c->fresh_credentials,
             p.delivered_id > 0,
             p.resyncing,
             static_cast<int>(p.resume_override),
             p.committable_id > p.save_requested_id,
             s.auth.expires_at.has_value(),
             s.auth.proactive_in_flight,
             s.auth.refresh_out != 0,
             s.backoff.server_retry_ms > 0,
             paused != nullptr && paused->started};
}

// --- exploration -------------------------------------------------------------------

struct Findings {
  std::map<std::pair<std::size_t, std::size_t>, std::set<std::size_t>> edges;  // phases -> events
  std::set<std::size_t> reached;                                               // phase indices
  std::set<std::size_t> terminal;  // phases whose states is_terminal() calls terminal
  std::optional<std::size_t> initial;
};

void note(Findings& f, const State& s) {
  f.reached.insert(s.phase.index());
  if (is_terminal(s)) f.terminal.insert(s.phase.index());
}

// Breadth-first from Idle; returns false if the node limit was hit.
bool explore(const NamedConfig& nc, Findings& f) {
  auto made = make(nc.config);
  if (!made) {
    std::fprintf(stderr, "tether-state-diagram: config %s: %.*s %.*s\n", nc.name.c_str(),
                 static_cast<int>(made.error().field.size()), made.error().field.data(),
                 static_cast<int>(made.error().reason.size()), made.error().reason.data());
    return false;
  }
  f.initial = made->phase.index();
  std::set<Key> seen{key_of(*made)};
  std::deque<Node> queue;
  queue.push_back(Node{std::move(*made), Instant{1'000'000}, 0});
  while (!queue.empty()) {
    Node n = std::move(queue.front());
    queue.pop_front();
    note(f, n.state);
    if (n.depth == depth_max) continue;
    for (const Event& e : alphabet(n)) {
      Step step = transition(n.state, e);
      const std::size_t from = n.state.phase.index();
      const std::size_t to = step.state.phase.index();
      if (from != to) f.edges[{from, to}].insert(e.index());
      note(f, step.state);
      if (!seen.insert(key_of(step.state)).second) continue;
      if (seen.size() > nodes_max) {
        std::fprintf(stderr, "tether-state-diagram: config %s: more than %zu states\n",
                     nc.name.c_str(), nodes_max);
        return false;
      }
      queue.push_back(Node{std::move(step.state), time_of(e), n.depth + 1});
    }
  }
  return true;
}

// --- names ----------------------------------------------------------------------------

template <std::size_t... I>
std::string_view phase_name(std::size_t index, std::index_sequence<I...>) {
  std::string_view name;
  ((index == I ? (name = name_of(Phase{std::in_place_index<I>}), 0) : 0), ...);
  return name;
}
std::string_view phase_name(std::size_t index) {
  return phase_name(index, std::make_index_sequence<phase_count>{});
}

template <std::size_t... I>
std::string_view event_name(std::size_t index, std::index_sequence<I...>) {
  std::string_view name;
  ((index == I ? (name = name_of(Event{std::in_place_index<I>}), 0) : 0), ...);
  return name;
}
std::string_view event_name(std::size_t index) {
  return event_name(index, std::make_index_sequence<event_count>{});
}

// --- output ----------------------------------------------------------------------------

void print(const Findings& f) {
  std::printf("stateDiagram-v2\n");
  std::printf("    %%%% Generated by tether-state-diagram from the reducer; do not edit.\n");
  if (f.initial) std::printf("    [*] --> %s\n", std::string(phase_name(*f.initial)).c_str());
  for (const auto& [phases, events] : f.edges) {
    std::string label;
    for (const std::size_t e : events) {
      if (!label.empty()) label += ", ";
      label += event_name(e);
    }
    std::printf("    %s --> %s : %s\n", std::string(phase_name(phases.first)).c_str(),
                std::string(phase_name(phases.second)).c_str(), label.c_str());
  }
  for (const std::size_t t : f.terminal)
    std::printf("    %s --> [*]\n", std::string(phase_name(t)).c_str());
}

// Every phase reached; every phase that is not terminal has a way out.
bool complete(const Findings& f) {
  bool ok = true;
  for (std::size_t i = 0; i < phase_count; ++i) {
    if (!f.reached.contains(i)) {
      std::fprintf(stderr, "tether-state-diagram: phase %s was never reached\n",
                   std::string(phase_name(i)).c_str());
      ok = false;
      continue;
    }
    if (f.terminal.contains(i)) continue;
    bool leaves = false;
    for (const auto& [phases, events] : f.edges) leaves = leaves || phases.first == i;
    if (!leaves) {
      std::fprintf(stderr, "tether-state-diagram: phase %s is not terminal but was never left\n",
                   std::string(phase_name(i)).c_str());
      ok = false;
    }
  }
  return ok;
}

}  // namespace

int main() {
  Findings findings;
  bool ok = true;
  for (const NamedConfig& nc : configurations()) ok = explore(nc, findings) && ok;
  print(findings);
  ok = complete(findings) && ok;
  return ok ? 0 : 1;
}
