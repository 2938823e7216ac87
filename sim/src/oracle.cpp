#include <algorithm>
#include <limits>
#include <string>
#include <tether/model/names.hpp>
#include <tether/sim/oracle.hpp>
#include <tether/sim/reference/session.hpp>
#include <tether/sim/server.hpp>
#include <utility>

namespace tether::sim {

namespace {

using namespace tether::model;

// What the oracle knows of one client, from the world's side.
struct View {
  // --- this process lifetime
  // The streaming-session reference judging this lifetime's steps (empty:
  // the lifetime has not begun, or the oracle runs without it).
  std::optional<SessionReference> reference;
  bool have_expect = false;
  std::uint64_t expect_next = 1;  // the next sequence the app must get (liveness; relaxed gaps)
  bool too_old_pending = false;   // a cursor-too-old gap covers the next jump
  std::vector<std::uint64_t> sequence_of;  // delivery id - 1 -> sequence
  std::uint64_t app_acked_id = 0;    // the highest ack the application made (the world's truth)
  std::optional<Ms> app_stopped_at;  // the application stopped the session (the world's truth)
  std::uint64_t issued_token = 0;    // the newest credentials this process got (0: none)
  std::uint64_t requested_id = 0;    // highest SaveCheckpoint not failed since
  std::uint64_t durable_id = 0;
  std::uint64_t stored_id =
      0;                 // the highest requested save the store holds durably (the world's truth)
  Ms saves_done_at = 0;  // when the last save in flight completed
  std::uint32_t save_failures =
      0;  // consecutive failed saves of the newest request (batching waits)
  bool terminal = false;
  bool stop_requested = false;
  // --- connection
  std::uint64_t connection = 0;
  bool open = false;
  Ms opened_at = 0;
  Ms last_rx = 0;
  bool got_bytes = false;
  bool silence_reported = false;
  Ms suspended_until = 0;
  // --- across lifetimes
  std::uint64_t durable_sequence = 0;
  bool have_durable = false;
  std::optional<std::uint64_t> flush_sequence;  // a final flush that must become durable
  // Time-based batching (Guarantee::checkpoint): since when a commit waits
  // unsaved, as seen here (never earlier than the reducer's), while no save
  // has failed.
  std::optional<Ms> unsaved_since;
  bool batching_late_reported = false;
  // Ids over the client's limit (the world's cause for Failed{unrecoverable}):
  // per connection, the first sequence the server sent with one.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> oversized_ids;
  const std::uint64_t* oversized_from(std::uint64_t on_connection) const {
    for (const auto& [conn, sequence] : oversized_ids)
      if (conn == on_connection && on_connection != 0) return &sequence;
    return nullptr;
  }
};

std::string num(std::int64_t v) { return std::to_string(v); }
std::string num(std::uint64_t v) { return std::to_string(v); }

}  // namespace

struct Oracle::Impl {
  SessionConfig config;
  bool run_reference = true;
  std::uint64_t filter_skip_every = 0;
  std::uint64_t replay_end = 0;
  // The next sequence the application must get at or after `s`: a filtered
  // sequence is no gap (under relaxed detection; strict detection is the
  // reference's, which sees a filtered sequence as a jump to report).
  std::uint64_t next_streamed(std::uint64_t s) const {
    if (filter_skip_every >= 2 && s % filter_skip_every == 0) ++s;
    return s;
  }
  std::vector<View> views;
  std::vector<Violation> violations;
  Ms healed_from_ms = std::numeric_limits<Ms>::max();

  void fail(Guarantee g, std::uint32_t client, Ms now, std::string msg) {
    violations.push_back(Violation{g, {}, std::move(msg), now, client});
  }

  void step(const StepView& v);
  void judge(View& c, const StepView& v);
  void before_effects(View& c, const StepView& v);
  void deliver(View& c, const StepView& v, const Deliver& d);
  void terminal_entered(View& c, const StepView& v);
  void track_batching(View& c, const StepView& v);
  void check_batching(View& c, std::uint32_t client, Ms now);
  // What the commit policy lets the session checkpoint: under on_ack what the
  // application acked (the world's truth, not what the driver fed), else all
  // but the last delivery.
  std::uint64_t may_commit(const View& c) const {
    const std::uint64_t delivered = c.sequence_of.size();
    if (config.resume.commit == CommitPolicy::on_ack) return std::min(c.app_acked_id, delivered);
    return delivered > 0 ? delivered - 1 : 0;
  }
};

Oracle::Oracle(const SessionConfig& config, std::uint32_t clients, References references)
    : impl_(std::make_unique<Impl>()) {
  impl_->config = config;
  impl_->run_reference = references == References::run;
  impl_->views.resize(clients);
}
Oracle::~Oracle() = default;
Oracle::Oracle(Oracle&&) noexcept = default;
Oracle& Oracle::operator=(Oracle&&) noexcept = default;

const std::vector<Violation>& Oracle::violations() const { return impl_->violations; }

void Oracle::process_started(std::uint32_t client, Ms /*now*/,
                             const std::optional<Cursor>& loaded) {
  View& c = impl_->views[client];
  const std::uint64_t durable = c.durable_sequence;
  const bool have_durable = c.have_durable;
  const auto flush = c.flush_sequence;
  const std::uint64_t token = c.issued_token;  // given before Started, by the start's refresh
  // Kept: the first Connect runs inside the Started step, before this call.
  auto oversized = std::move(c.oversized_ids);
  c = View{};
  c.issued_token = token;
  c.durable_sequence = durable;
  c.have_durable = have_durable;
  c.flush_sequence = flush;
  c.oversized_ids = std::move(oversized);
  if (impl_->run_reference) c.reference.emplace(impl_->config);
  process_loaded(client, loaded);
}

void Oracle::process_loaded(std::uint32_t client, const std::optional<Cursor>& loaded) {
  View& c = impl_->views[client];
  const Cursor& start = impl_->config.resume.start;
  if (loaded && loaded->has_sequence) {
    c.have_expect = true;
    c.expect_next = loaded->sequence + 1;
  } else if (start.has_sequence) {
    c.have_expect = true;
    c.expect_next = start.sequence + 1;
  }
}

void Oracle::checkpoint_loaded(std::uint32_t client, Ms now, const std::optional<Cursor>& loaded) {
  const View& c = impl_->views[client];
  if (!c.have_durable) return;
  if (!loaded || !loaded->has_sequence || loaded->sequence < c.durable_sequence)
    impl_->fail(Guarantee::checkpoint, client, now,
                "a restarted process loaded " +
                    (loaded && loaded->has_sequence ? num(loaded->sequence)
                                                    : std::string("no checkpoint")) +
                    ", older than the durable checkpoint " + num(c.durable_sequence));
}

void Oracle::process_crashed(std::uint32_t client, Ms /*now*/) {
  View& c = impl_->views[client];
  c.open = false;
  c.connection = 0;
  c.terminal = true;  // this lifetime is over; nothing more is judged until restart
  c.reference.reset();
  c.flush_sequence.reset();
  c.issued_token = 0;  // the next process starts without credentials
}

void Oracle::suspended(std::uint32_t client, Ms until_ms) {
  View& c = impl_->views[client];
  c.suspended_until = std::max(c.suspended_until, until_ms);
}

void Oracle::checkpoint_durable(std::uint32_t client, Ms now, const Cursor& cursor) {
  View& c = impl_->views[client];
  if (c.have_durable && cursor.sequence < c.durable_sequence)
    impl_->fail(Guarantee::checkpoint, client, now,
                "durable checkpoint moved back from " + num(c.durable_sequence) + " to " +
                    num(cursor.sequence));
  c.durable_sequence = std::max(c.durable_sequence, cursor.sequence);
  c.have_durable = true;
  // The save in flight is done once the store holds it, whatever delivery id
  // the driver then names in CheckpointSaved.
  if (c.requested_id > c.stored_id && c.requested_id <= c.sequence_of.size() &&
      cursor.sequence >= c.sequence_of[c.requested_id - 1]) {
    c.stored_id = c.requested_id;
    c.saves_done_at = now;
  }
}

void Oracle::application_acked(std::uint32_t client, Ms /*now*/, std::uint64_t delivery_id) {
  View& c = impl_->views[client];
  c.app_acked_id = std::max(c.app_acked_id, delivery_id);
}

void Oracle::credentials_issued(std::uint32_t client, Ms /*now*/, std::uint64_t token) {
  impl_->views[client].issued_token = token;
}

void Oracle::credentials_sent(std::uint32_t client, Ms now, std::uint64_t token) {
  const View& c = impl_->views[client];
  if (c.issued_token != 0 && token != c.issued_token)
    impl_->fail(Guarantee::auth_refresh, client, now,
                "an attempt carried credentials t" + num(token) +
                    ", not the newest the auth source gave (t" + num(c.issued_token) + ")");
}

void Oracle::application_stopped(std::uint32_t client, Ms now) {
  View& c = impl_->views[client];
  if (!c.app_stopped_at) c.app_stopped_at = now;
}

void Oracle::step(const StepView& step) { impl_->step(step); }

void Oracle::set_filter(std::uint64_t skip_every) { impl_->filter_skip_every = skip_every; }

void Oracle::set_replay_end(std::uint64_t sequence) { impl_->replay_end = sequence; }

void Oracle::oversized_id_sent(std::uint32_t client, std::uint64_t connection,
                               std::uint64_t sequence) {
  View& c = impl_->views[client];
  if (connection != 0 && c.oversized_from(connection) == nullptr)
    c.oversized_ids.emplace_back(connection, sequence);
}

// The reference judges the step from its events and effects; its finding is
// the run's, of this client, now.
void Oracle::Impl::judge(View& c, const StepView& v) {
  if (!c.reference) return;
  if (std::optional<Violation> found = c.reference->check(v.event, v.before, v.after, v.effects)) {
    found->subject = v.client;
    found->at_ms = v.now;
    violations.push_back(std::move(*found));
  }
}

// What the world knows of the step before its effects: the connection's
// traffic (Guarantee::half_open), the stop asked, and the ack fed against
// the application's own (Guarantee::checkpoint), the store's answers.
void Oracle::Impl::before_effects(View& c, const StepView& v) {
  const Event& e = v.event;
  if (std::holds_alternative<ConnectionOpened>(e)) {
    c.connection = v.event_connection;
    c.open = true;
    c.opened_at = v.now;
    c.last_rx = v.now;
    c.got_bytes = false;
    c.silence_reported = false;
  } else if (std::holds_alternative<BytesReceived>(e) || std::holds_alternative<FrameReceived>(e)) {
    if (c.open && v.event_connection == c.connection) {
      c.last_rx = v.now;
      c.got_bytes = true;
    }
  } else if (std::holds_alternative<StopRequested>(e)) {
    c.stop_requested = true;
  } else if (const auto* a = std::get_if<DeliveryAcked>(&e)) {
    if (a->delivery_id > c.app_acked_id)
      fail(Guarantee::checkpoint, v.client, v.now,
           "the session was told delivery " + num(a->delivery_id) +
               " is acked; the application acked only up to " + num(c.app_acked_id));
  } else if (const auto* k = std::get_if<CheckpointSaved>(&e)) {
    if (k->delivery_id <= c.requested_id && k->delivery_id > c.durable_id) {
      c.durable_id = k->delivery_id;
      c.save_failures = 0;  // a success ends the run of failures
      if (c.durable_id == c.requested_id) c.saves_done_at = v.now;
    }
  } else if (const auto* kf = std::get_if<CheckpointSaveFailed>(&e)) {
    // Only a failure of the newest request leaves something to save again.
    if (kf->delivery_id > c.durable_id && kf->delivery_id == c.requested_id) {
      c.requested_id = c.durable_id;
      if (c.save_failures < std::numeric_limits<std::uint32_t>::max()) ++c.save_failures;
    }
  }
}

void Oracle::Impl::step(const StepView& v) {
  View& c = views[v.client];
  judge(c, v);
  const bool was_terminal = c.terminal;
  before_effects(c, v);
  if (was_terminal) return;  // effects after the end are the reference's ("after-end")
  // An id longer than the client's limit ends the session: the frame that
  // carries it never reaches the reducer (the driver must not truncate it).
  const auto* frame = std::get_if<FrameReceived>(&v.event);
  if (const std::uint64_t* from = c.oversized_from(v.event_connection);
      frame != nullptr && from != nullptr && (!frame->sequence || *frame->sequence >= *from))
    fail(Guarantee::no_silent_gap, v.client, v.now,
         "event " + (frame->sequence ? num(*frame->sequence) : std::string("-")) +
             " reached the session although the server sent an id over the client's limit on "
             "this connection (a truncated id would resume elsewhere)");
  for (const Effect& effect : v.effects) {
    if (const auto* d = std::get_if<Deliver>(&effect)) {
      deliver(c, v, *d);
    } else if (const auto* g = std::get_if<ReportGap>(&effect)) {
      if (g->cause == GapCause::cursor_too_old) c.too_old_pending = true;
    } else if (const auto* k = std::get_if<SaveCheckpoint>(&effect)) {
      c.requested_id = std::max(c.requested_id, k->delivery_id);
    }
  }
  track_batching(c, v);
  if (c.open && v.connection_after != c.connection) c.open = false;
  if (is_terminal(v.after)) terminal_entered(c, v);
}

// Guarantee::no_silent_gap against what the server streamed: under relaxed
// detection the session cannot tell a jump from a filter, the world can. Every sequence the
// server streamed to this client after its start reaches the application,
// unless a cursor-too-old gap covers it. (Strict detection is the
// reference's "gap" rule, from the deliveries alone.) The sequences delivered
// are kept for liveness, the flush and the store's truth.
void Oracle::Impl::deliver(View& c, const StepView& v, const Deliver& d) {
  if (!d.sequence) {
    c.sequence_of.push_back(0);
    return;
  }
  const std::uint64_t s = *d.sequence;
  if (config.resume.gaps == GapDetection::relaxed && c.have_expect &&
      s > next_streamed(c.expect_next) && !c.too_old_pending)
    fail(Guarantee::no_silent_gap, v.client, v.now,
         "silent gap: " + num(c.expect_next) + ".." + num(s - 1) +
             " streamed by the server, never delivered");
  if (!c.have_expect || s >= c.expect_next) {
    c.expect_next = s + 1;
    c.have_expect = true;
  }
  c.too_old_pending = false;
  c.sequence_of.push_back(s);
}

// Guarantee::checkpoint, time-based batching: while no save has failed, a
// commit that the commit policy allows (acked, or followed by a later
// delivery) is saved within checkpoint_every_ms, or when the save in flight
// completes if that is later (a suspended host runs nothing until it wakes).
// Checked as time passes, so a timer the driver never fires is caught, from
// the world's deliveries and acks and the store's truth: the oracle's
// "unsaved since" starts no earlier than the reducer's.
void Oracle::Impl::track_batching(View& c, const StepView& v) {
  if (config.resume.checkpoint_every_ms <= 0) return;
  for (const Effect& effect : v.effects)
    if (std::holds_alternative<SaveCheckpoint>(effect)) {
      c.unsaved_since.reset();
      c.batching_late_reported = false;
    }
  if (c.save_failures > 0) {
    c.unsaved_since.reset();  // batching waits for the retry and its outcome
    return;
  }
  if (may_commit(c) > c.requested_id && !c.unsaved_since) c.unsaved_since = v.now;
}

void Oracle::Impl::check_batching(View& c, std::uint32_t client, Ms now) {
  const std::int64_t every = config.resume.checkpoint_every_ms;
  if (every <= 0 || c.terminal || !c.unsaved_since || c.batching_late_reported ||
      c.save_failures > 0)
    return;
  if (c.requested_id > std::max(c.durable_id, c.stored_id))
    return;  // the batch waits for the save in flight
  const Ms deadline = std::max({*c.unsaved_since + every, c.suspended_until, c.saves_done_at});
  if (now <= deadline) return;
  c.batching_late_reported = true;
  fail(Guarantee::checkpoint, client, now,
       "a commit unsaved since " + num(*c.unsaved_since) + " ms, not saved by " + num(deadline) +
           " ms (checkpoint_every_ms " + num(every) + ")");
}

// A session ended: it flushed what the application acked (the world's truth;
// the reference checks the flush of what the session was fed), that flush
// must become durable, and an unrecoverable end needs its cause in the world:
// an id over the client's limit on the connection that ended. (Every other
// end's cause is in the events: the reference's "end-cause".)
void Oracle::Impl::terminal_entered(View& c, const StepView& v) {
  c.terminal = true;
  const std::uint64_t may_save = may_commit(c);
  if (c.requested_id < may_save)
    fail(Guarantee::stop, v.client, v.now,
         "ended without flushing: saved " + num(c.requested_id) + ", may save " + num(may_save));
  if (v.now >= healed_from_ms && c.requested_id > 0)
    c.flush_sequence = c.sequence_of[c.requested_id - 1];
  const auto* failed = std::get_if<Failed>(&v.after.phase);
  if (failed == nullptr || failed->reason != Reason::unrecoverable) return;
  const auto* closed = std::get_if<ConnectionClosed>(&v.event);
  const bool caused = closed != nullptr && closed->cause == CloseCause::unrecoverable &&
                      c.oversized_from(v.event_connection) != nullptr;
  if (!caused)
    fail(Guarantee::liveness, v.client, v.now,
         "ended (unrecoverable) without a cause in the world (no id over the client's limit on "
         "this connection)");
}

void Oracle::time_passed(Ms now) {
  const SessionConfig& config = impl_->config;
  for (std::size_t i = 0; i < impl_->views.size(); ++i) {
    View& c = impl_->views[i];
    impl_->check_batching(c, static_cast<std::uint32_t>(i), now);
    // A stop is taken in the step that asks it (or, from inside a callback,
    // once the step's effects have run): before anything else happens.
    if (c.app_stopped_at && !c.stop_requested && !c.terminal) {
      impl_->fail(Guarantee::stop, static_cast<std::uint32_t>(i), now,
                  "the application stopped the session at " + num(*c.app_stopped_at) +
                      " ms; the session was never told (no StopRequested)");
      c.app_stopped_at.reset();
    }
    if (!c.open || c.terminal || c.silence_reported) continue;
    Ms deadline = 0;
    if (config.connect.confirm_timeout_ms > 0 && !c.got_bytes) {
      deadline = c.opened_at + config.connect.confirm_timeout_ms;
    } else if (config.heartbeat) {
      deadline = c.last_rx + config.heartbeat->budget_ms();
    } else {
      continue;
    }
    deadline = std::max(deadline, c.suspended_until);
    if (now > deadline) {
      c.silence_reported = true;
      impl_->fail(Guarantee::half_open, static_cast<std::uint32_t>(i), now,
                  "connection silent since " + num(c.last_rx) + " ms, not closed by " +
                      num(deadline) + " ms");
    }
  }
}

void Oracle::check_liveness(Ms now, const Server& server, Ms caught_up_at_ms,
                            const std::vector<const State*>& states) {
  impl_->healed_from_ms = std::min(impl_->healed_from_ms, now);
  std::uint64_t head = server.head_at(caught_up_at_ms);
  if (impl_->replay_end > 0) head = std::min(head, impl_->replay_end);
  head = server.last_streamed_at_or_below(head);
  for (std::size_t i = 0; i < impl_->views.size(); ++i) {
    const View& c = impl_->views[i];
    const State* s = states[i];
    const auto client = static_cast<std::uint32_t>(i);
    if (s == nullptr) {
      impl_->fail(Guarantee::liveness, client, now, "process not running at the liveness check");
      continue;
    }
    if (is_terminal(*s)) continue;  // judged when it ended
    if (!std::holds_alternative<Streaming>(s->phase)) {
      impl_->fail(Guarantee::liveness, client, now,
                  "not streaming after the healed period (" + std::string(name_of(s->phase)) + ")");
      continue;
    }
    const std::uint64_t got = c.expect_next > 0 ? c.expect_next - 1 : 0;
    if (got < head)
      impl_->fail(Guarantee::liveness, client, now,
                  "not caught up: delivered up to " + num(got) + ", head " + num(head));
  }
}

void Oracle::finish(Ms now) {
  for (std::size_t i = 0; i < impl_->views.size(); ++i) {
    const View& c = impl_->views[i];
    if (c.flush_sequence && (!c.have_durable || c.durable_sequence < *c.flush_sequence))
      impl_->fail(Guarantee::stop, static_cast<std::uint32_t>(i), now,
                  "flushed checkpoint " + num(*c.flush_sequence) + " never became durable");
  }
}

}  // namespace tether::sim
