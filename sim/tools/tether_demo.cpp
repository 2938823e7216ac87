// tether-demo: drives the pure reducer through one scripted outage in virtual
// time and prints the status timeline an application would render.
//
// The world: a server appends an event every 500 ms and sends a heartbeat
// comment every 2 s. Script:
//   0-20 s   healthy streaming
//   20-50 s  network partition: the open connection goes silent (half-open),
//            new connections time out
//   45 s     the access token expires: the next attempt gets 401 -> refresh
//   50-65 s  the server is overloaded: 429 with Retry-After: 12
//   65 s     healed: the client reconnects from its cursor and catches up
//   90 s     the application stops the session
// At the end it checks what a user cares about: every event delivered once, in
// order, and the checkpoint at the last acknowledged event. Exit 1 if not.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <queue>
#include <tuple>
#include <vector>

#include <tether/model/names.hpp>
#include <tether/model/session.hpp>

namespace {

using namespace tether::model;

constexpr std::int64_t partition_from_ms = 20000, partition_until_ms = 50000;
constexpr std::int64_t token_expires_ms = 45000;
constexpr std::int64_t overload_from_ms = 50000, overload_until_ms = 65000;
constexpr std::int64_t stop_at_ms = 90000;
constexpr std::int64_t event_every_ms = 500, heartbeat_every_ms = 2000, latency_ms = 40;

// One pending input for the reducer. Inputs bound to a connection are dropped
// if that connection is gone by the time they arrive.
struct Pending {
  std::int64_t at_ms;
  std::uint64_t order;
  std::uint64_t connection;  // 0: not bound to a connection
  Event event;
  bool operator>(const Pending& o) const { return std::tie(at_ms, order) > std::tie(o.at_ms, o.order); }
};

class Demo {
 public:
  explicit Demo(State s) : state_(std::move(s)) {}

  int run() {
    // The application does not know when its token expires: the 401 path.
    push(0, 0, Started{Instant{0}, std::nullopt, std::nullopt});
    push(stop_at_ms, 0, StopRequested{Instant{stop_at_ms}});
    while (!is_terminal(state_)) {
      const std::optional<Instant> deadline = next_deadline(state_);
      const std::int64_t next_input = queue_.empty() ? INT64_MAX : queue_.top().at_ms;
      std::int64_t next_world = next_world_ms();
      if (deadline && deadline->ms < next_input && deadline->ms < next_world) {
        feed(Tick{Instant{std::max(deadline->ms, now_ms_)}});  // a deadline may already be due
      } else if (next_world < next_input) {
        advance_world(next_world);
      } else {
        Pending p = queue_.top();
        queue_.pop();
        if (p.connection != 0 && p.connection != open_connection_) continue;
        feed(p.event);
      }
    }
    return report();
  }

 private:
  void push(std::int64_t at_ms, std::uint64_t conn, Event e) {
    std::visit([&](auto& x) { x.now = Instant{at_ms}; }, e);
    queue_.push(Pending{at_ms, order_++, conn, e});
  }

  static bool partitioned(std::int64_t t) { return t >= partition_from_ms && t < partition_until_ms; }

  std::int64_t next_world_ms() const { return std::min(next_event_ms_, next_heartbeat_ms_); }

  // The server's clock ticks: append an event, send heartbeats, stream to the client.
  void advance_world(std::int64_t t) {
    if (t == next_event_ms_) {
      ++head_;
      next_event_ms_ += event_every_ms;
      if (streaming_ && !partitioned(t)) send_frame(t, head_);
    }
    if (t == next_heartbeat_ms_) {
      next_heartbeat_ms_ += heartbeat_every_ms;
      if (streaming_ && !partitioned(t)) push(t + latency_ms, open_connection_, BytesReceived{});
    }
  }

  void send_frame(std::int64_t t, std::uint64_t seq) {
    push(t + latency_ms, open_connection_,
         FrameReceived{Instant{}, seq, std::nullopt, std::nullopt, seq});
  }

  void feed(const Event& e) {
    now_ms_ = time_of(e).ms;
    Step step = transition(std::move(state_), e);
    state_ = std::move(step.state);
    for (const Effect& effect : step.effects) execute(effect);
  }

  void execute(const Effect& effect) {
    std::visit([&](const auto& x) { run_effect(x); }, effect);
  }

  void run_effect(const Connect& c) {
    open_connection_ = ++connections_;
    streaming_ = false;
    const std::int64_t t = now_ms_ + latency_ms;
    if (partitioned(now_ms_)) return;  // the SYN is lost: the connect timeout will fire
    if (now_ms_ >= token_expires_ms && !refreshed_) {
      push(t, open_connection_, ServerRejected{Instant{}, 401, std::nullopt});
    } else if (now_ms_ >= overload_from_ms && now_ms_ < overload_until_ms) {
      push(t, open_connection_, ServerRejected{Instant{}, 429, 12000});
    } else {
      push(t, open_connection_, ConnectionOpened{});
      streaming_ = true;
      // Replay the backlog after the cursor, as a resuming server does.
      const std::uint64_t from = c.from == ResumeFrom::cursor ? c.cursor.sequence + 1 : 1;
      for (std::uint64_t seq = from; seq <= head_; ++seq) send_frame(now_ms_, seq);
    }
  }
  void run_effect(const CloseConnection&) {
    open_connection_ = 0;
    streaming_ = false;
  }
  void run_effect(const Deliver& d) {
    delivered_.push_back(d.sequence.value_or(0));
    // The application processes at once and acknowledges.
    push(now_ms_, 0, DeliveryAcked{Instant{}, d.delivery_id, Cursor::at_sequence(*d.sequence)});
    acked_sequence_ = *d.sequence;
  }
  void run_effect(const DiscardFrame& d) {
    if (d.reason == DiscardReason::duplicate) ++duplicates_dropped_;
  }
  void run_effect(const ReportGap& g) {
    ++gaps_;
    std::printf("%9.3f s  gap reported from %llu\n", static_cast<double>(now_ms_) / 1000.0,
                static_cast<unsigned long long>(g.from_sequence.value_or(0)));
  }
  void run_effect(const SaveCheckpoint& s) {
    checkpoint_ = s.cursor.sequence;
    push(now_ms_ + 5, 0, CheckpointSaved{Instant{}, s.delivery_id});
  }
  void run_effect(const RefreshAuth& r) {
    std::printf("%9.3f s  refresh credentials (%s)\n", static_cast<double>(now_ms_) / 1000.0,
                std::string(name_of(r.cause)).c_str());
    refreshed_ = true;
    push(now_ms_ + 200, 0, AuthRefreshed{Instant{}, Instant{now_ms_ + 3600000}});
  }
  void run_effect(const ReportStatus& r) {
    const Status& s = r.status;
    std::printf("%9.3f s  %-16s", static_cast<double>(now_ms_) / 1000.0,
                std::string(name_of(s.kind)).c_str());
    if (s.reason != Reason::none) std::printf(" reason=%s", std::string(name_of(s.reason)).c_str());
    if (s.http_status != 0) std::printf(" http=%u", static_cast<unsigned>(s.http_status));
    if (s.failures != 0) std::printf(" failures=%u", s.failures);
    if (s.kind == StatusKind::backing_off)
      std::printf(" next_attempt=%.3f s", static_cast<double>(s.next_attempt_at.ms) / 1000.0);
    std::printf("\n");
  }

  int report() const {
    bool in_order = true;
    for (std::size_t i = 0; i < delivered_.size(); ++i) in_order = in_order && delivered_[i] == i + 1;
    std::printf("\nserver logged %llu events; delivered %zu (in order, each once: %s); "
                "duplicates dropped %llu; gaps reported %llu; checkpoint at %llu (last ack %llu)\n",
                static_cast<unsigned long long>(head_), delivered_.size(), in_order ? "yes" : "NO",
                static_cast<unsigned long long>(duplicates_dropped_),
                static_cast<unsigned long long>(gaps_), static_cast<unsigned long long>(checkpoint_),
                static_cast<unsigned long long>(acked_sequence_));
    const bool caught_up = delivered_.size() + 2 >= head_;  // in flight at stop: at most ~1 s
    const bool ok = in_order && gaps_ == 0 && checkpoint_ == acked_sequence_ && caught_up;
    std::printf("%s\n", ok ? "OK: nothing lost, nothing twice, checkpoint flushed on stop"
                           : "FAILED: see above");
    return ok ? 0 : 1;
  }

  State state_;
  std::priority_queue<Pending, std::vector<Pending>, std::greater<>> queue_;
  std::uint64_t order_ = 0;
  std::int64_t now_ms_ = 0;
  std::uint64_t connections_ = 0, open_connection_ = 0;
  bool streaming_ = false, refreshed_ = false;
  std::uint64_t head_ = 0;
  std::int64_t next_event_ms_ = event_every_ms, next_heartbeat_ms_ = heartbeat_every_ms;
  std::vector<std::uint64_t> delivered_;
  std::uint64_t duplicates_dropped_ = 0, gaps_ = 0, checkpoint_ = 0, acked_sequence_ = 0;
};

}  // namespace

int main() {
  SessionConfig config = presets::aviso();
  config.heartbeat = HeartbeatPolicy{.interval_ms = 2000, .interval_multiple = 3, .slack_ms = 1000};
  config.auth.has_provider = true;
  config.resume.commit = CommitPolicy::on_ack;
  config.resume.checkpoint_every_events = 20;
  config.resume.checkpoint_every_ms = 5000;
  config.seed = 2026;
  auto state = make_session(config);
  if (!state) {
    std::fprintf(stderr, "invalid configuration: %s %s\n", std::string(state.error().field).c_str(),
                 std::string(state.error().reason).c_str());
    return 2;
  }
  std::printf("tether-demo: preset aviso (heartbeat 2 s, budget 6 s), virtual time\n"
              "script: partition 20-50 s, token expires 45 s, 429 Retry-After 12 s during "
              "50-65 s, stop at 90 s\n\n");
  return Demo(std::move(*state)).run();
}
