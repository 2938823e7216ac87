#include <tether/sim/oracle.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include <tether/model/backoff.hpp>
#include <tether/model/names.hpp>
#include <tether/sim/server.hpp>

namespace tether::sim {

namespace {

using namespace tether::model;

// What the oracle knows of one client, from the world's side.
struct View {
  // --- this process lifetime
  bool have_expect = false;
  std::uint64_t expect_next = 1;  // the next sequence the app must get, or be told is lost
  std::optional<std::uint64_t> loaded_sequence;
  bool too_old_pending = false;   // a cursor-too-old gap covers the next jump
  std::vector<std::uint64_t> sequence_of;  // delivery id - 1 -> sequence
  std::uint64_t acked_id = 0;       // the highest DeliveryAcked fed to the session
  std::uint64_t app_acked_id = 0;   // the highest ack the application made (the world's truth)
  std::optional<Ms> app_stopped_at;  // the application stopped the session (the world's truth)
  std::uint64_t issued_token = 0;    // the newest credentials this process got (0: none)
  std::uint64_t requested_id = 0;   // highest SaveCheckpoint not failed since
  std::uint64_t saved_sequence = 0;  // highest SaveCheckpoint sequence (never lowered)
  std::uint64_t durable_id = 0;
  std::uint64_t stored_id = 0;  // the highest requested save the store holds durably (the world's truth)
  Ms saves_done_at = 0;  // when the last save in flight completed
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
  Ms backoff_until = std::numeric_limits<Ms>::min();
  // --- guarantee 4: consecutive failed attempts, counted here from the world's
  // events (config.hpp's BackoffPolicy rules), never read from the reducer.
  std::uint32_t failures = 0;       // failures before the current attempt / in this backoff
  bool delivered_on_connection = false;  // a frame was delivered on the open connection
  // --- auth
  bool reactive_refresh_out = false;
  std::uint64_t fresh_connection = 0;
  // --- causes the world gave for terminal states
  bool saw_401 = false, saw_401_fresh = false, saw_too_old = false, saw_refresh_failed = false,
       saw_other_status = false, saw_replay_finished = false;
  // --- across lifetimes
  std::uint64_t durable_sequence = 0;
  bool have_durable = false;
  std::optional<std::uint64_t> flush_sequence;  // a final flush that must become durable
  // --- guarantee 10: retries paced by their policies, from the world's events
  std::uint32_t save_failures = 0;        // consecutive failed saves of the newest request
  std::optional<Ms> save_retry_not_before;  // after one: no save before this but a final flush
  bool refresh_failed = false;  // a refresh failed (or timed out) and no Connect came since
  // The attempt in flight when a refresh failed: a 401 answering it may still
  // ask one reactive refresh (the attempt was paced; the refresh answers it).
  std::uint64_t refresh_excused_connection = 0;
  struct Refresh {
    Ms given_up_at;  // a reactive refresh is abandoned at its timeout; a proactive one only once a 401 waits for it
    bool given_up = false;
  };
  std::vector<Refresh> refreshes_out;  // asked, not answered yet, oldest first (answers come in order)
  // This step's event answers a refresh the client gave up at its timeout, with
  // no Connect since: the backoff that timeout entered may end now, and the
  // retry uses fresh credentials (docs/state-machine.md, RefreshingAuth).
  bool late_answer = false;
  bool attempted = false;        // a Connect happened in this lifetime
  bool attempt_open = false;     // the last Connect's connection has not ended
  bool backoff_entered = false;  // a backoff was entered since the last Connect
  // Retry budget (guarantee 10): the exact token bucket, in ms of refill (one
  // token = refill_ms_per_token), full at the lifetime's start.
  std::int64_t budget_ms = 0;
  Ms budget_at = 0;
  // Give-up (guarantee 7): since when the stream has not been healthy.
  Ms outage_since = 0;
  // Cursor too old (guarantee 1): where the next Connect must resume from,
  // until a delivery gives the client a position again.
  std::optional<ResumeFrom> resync_from;
  // Time-based batching (guarantee 3): since when a commit waits unsaved, as
  // seen here (never earlier than the reducer's), while no save has failed.
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

// Guarantee 10: the wait before retrying a failed save, from config.hpp's
// ResumePolicy: checkpoint_retry_ms_min * 2^(n-1) for n consecutive failures,
// capped at checkpoint_retry_ms_max.
std::int64_t save_retry_wait_ms(const ResumePolicy& r, std::uint32_t n) {
  std::int64_t wait = r.checkpoint_retry_ms_min;
  for (std::uint32_t i = 1; i < n && wait < r.checkpoint_retry_ms_max; ++i)
    wait = wait > std::numeric_limits<std::int64_t>::max() / 2 ? r.checkpoint_retry_ms_max : wait * 2;
  return std::min(wait, r.checkpoint_retry_ms_max);
}

// Guarantee 10: the retry budget's capacity, tokens_max * refill_ms_per_token
// ms of refill (saturating).
std::int64_t budget_cap_ms(const RetryBudget& b) {
  const auto tokens = static_cast<std::int64_t>(b.tokens_max);
  if (b.refill_ms_per_token > 0 && tokens > std::numeric_limits<std::int64_t>::max() / b.refill_ms_per_token)
    return std::numeric_limits<std::int64_t>::max();
  return tokens * b.refill_ms_per_token;
}

// Guarantee 1: a cursor holds the position the stream last set and nothing
// else. One that is not a token's carries no id bytes: after the stream reset
// its id (an empty SSE `id:`), a stale id would resume elsewhere if presented.
bool holds_stale_id(const Cursor& c) { return c.kind != CursorKind::token && !c.token.empty(); }

bool is_too_old(const Event& e) {
  const auto* r = std::get_if<ServerRejected>(&e);
  return (r != nullptr && r->http_status == 410) || std::holds_alternative<CursorExpired>(e);
}

}  // namespace

struct Oracle::Impl {
  SessionConfig cfg;
  std::uint64_t filter_skip_every = 0;
  std::uint64_t replay_end = 0;
  // The next sequence the application must get at or after `s`: under relaxed
  // detection a filtered sequence is no gap; under strict detection it is an
  // event the server lost for this client, to be reported like any gap.
  std::uint64_t next_streamed(std::uint64_t s) const {
    if (filter_skip_every >= 2 && cfg.resume.gaps == GapDetection::relaxed && s % filter_skip_every == 0) ++s;
    return s;
  }
  std::vector<View> views;
  std::vector<Violation> out;
  Ms healed_from_ms = std::numeric_limits<Ms>::max();

  void fail(Guarantee g, std::uint32_t client, Ms now, std::string msg) {
    out.push_back(Violation{g, {}, std::move(msg), now, client});
  }

  void step(const StepView& v);
  void before_effects(View& c, const StepView& v);
  void deliver(View& c, const StepView& v, const Deliver& d, const ReportGap* missing);
  void check_saves(View& c, const StepView& v);
  void check_batch_count(View& c, const StepView& v);
  struct Ending {
    std::uint32_t failures;  // the oracle's own count for the backoff this step enters
    bool short_session;
    bool healthy_end = false;  // a healthy stream ended: the outage starts now
  };
  Ending count_failure(const View& c, const StepView& v, bool was_open, Ms opened_at, bool confirmed,
                       bool delivered) const;
  void check_backoff(View& c, const StepView& v, const Status& st, const Ending& own);
  void enter_backoff(View& c, const StepView& v, const Status& st, const Ending& own);
  void check_auth(View& c, const StepView& v, int refreshes, bool fresh_401);
  void check_pacing(View& c, const StepView& v);
  void terminal_entered(View& c, const StepView& v);
  std::optional<Reason> give_up_due(const View& c, std::uint32_t n, Ms now) const;
  void check_gave_up(View& c, const StepView& v, bool was_open, Ms opened_at, bool confirmed, bool delivered);
  void check_budget(View& c, const StepView& v);
  void track_batching(View& c, const StepView& v);
  void check_batching(View& c, std::uint32_t client, Ms now);
  // What the commit policy lets the session checkpoint: under on_ack what the
  // application acked (the world's truth, not what the driver fed), else all
  // but the last delivery.
  std::uint64_t may_commit(const View& c) const {
    const std::uint64_t delivered = c.sequence_of.size();
    if (cfg.resume.commit == CommitPolicy::on_ack) return std::min(c.app_acked_id, delivered);
    return delivered > 0 ? delivered - 1 : 0;
  }
};

Oracle::Oracle(const SessionConfig& config, std::uint32_t clients) : impl_(std::make_unique<Impl>()) {
  impl_->cfg = config;
  impl_->views.resize(clients);
}
Oracle::~Oracle() = default;
Oracle::Oracle(Oracle&&) noexcept = default;
Oracle& Oracle::operator=(Oracle&&) noexcept = default;

const std::vector<Violation>& Oracle::violations() const { return impl_->out; }

void Oracle::process_started(std::uint32_t client, Ms now, const std::optional<Cursor>& loaded) {
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
  c.budget_ms = budget_cap_ms(impl_->cfg.budget);
  c.budget_at = now;
  c.outage_since = now;
  const Cursor& start = impl_->cfg.resume.start;
  if (loaded && loaded->has_sequence) {
    c.have_expect = true;
    c.expect_next = loaded->sequence + 1;
    c.loaded_sequence = loaded->sequence;
    c.saved_sequence = loaded->sequence;
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
                    (loaded && loaded->has_sequence ? num(loaded->sequence) : std::string("no checkpoint")) +
                    ", older than the durable checkpoint " + num(c.durable_sequence));
}

void Oracle::process_crashed(std::uint32_t client, Ms /*now*/) {
  View& c = impl_->views[client];
  c.open = false;
  c.connection = 0;
  c.terminal = true;  // this lifetime is over; nothing more is judged until restart
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
                "an attempt carried credentials t" + num(token) + ", not the newest the auth source gave (t" +
                    num(c.issued_token) + ")");
}

void Oracle::application_stopped(std::uint32_t client, Ms now) {
  View& c = impl_->views[client];
  if (!c.app_stopped_at) c.app_stopped_at = now;
}

void Oracle::step(const StepView& v) { impl_->step(v); }

void Oracle::set_filter(std::uint64_t skip_every) { impl_->filter_skip_every = skip_every; }

void Oracle::set_replay_end(std::uint64_t sequence) { impl_->replay_end = sequence; }

void Oracle::oversized_id_sent(std::uint32_t client, std::uint64_t connection, std::uint64_t sequence) {
  View& c = impl_->views[client];
  if (connection != 0 && c.oversized_from(connection) == nullptr) c.oversized_ids.emplace_back(connection, sequence);
}

void Oracle::Impl::before_effects(View& c, const StepView& v) {
  const Event& e = v.event;
  // Guarantee 1: the server said the cursor is too old; the policy says where
  // to resume (from the oldest retained event, or live), until a delivery.
  if (is_too_old(e) && !is_terminal(v.after) && cfg.resume.too_old != TooOldPolicy::fail)
    c.resync_from = cfg.resume.too_old == TooOldPolicy::resync_from_oldest ? ResumeFrom::oldest : ResumeFrom::live;
  if (std::holds_alternative<ConnectionOpened>(e)) {
    c.connection = v.event_connection;
    c.open = true;
    c.opened_at = v.now;
    c.last_rx = v.now;
    c.got_bytes = false;
    c.silence_reported = false;
    c.delivered_on_connection = false;
  } else if (std::holds_alternative<BytesReceived>(e) || std::holds_alternative<FrameReceived>(e)) {
    if (c.open && v.event_connection == c.connection) {
      c.last_rx = v.now;
      c.got_bytes = true;
    }
  } else if (const auto* r = std::get_if<ServerRejected>(&e)) {
    c.attempt_open = false;
    if (r->http_status == 401) {
      c.saw_401 = true;
      if (v.event_connection != 0 && v.event_connection == c.fresh_connection) c.saw_401_fresh = true;
      // A refresh still out (a proactive one, or one given up at its timeout
      // and not answered yet) answers this 401 too: the client asks no second
      // one (one at a time) and waits for it as for a reactive refresh, at
      // most auth.refresh_timeout_ms from now. Its answer then counts as the
      // reactive refresh's: fresh credentials for the retry, or a failed refresh.
      bool adopted = false;
      for (View::Refresh& x : c.refreshes_out) {
        x.given_up_at = x.given_up ? v.now + cfg.auth.refresh_timeout_ms
                                   : std::min(x.given_up_at, v.now + cfg.auth.refresh_timeout_ms);
        x.given_up = false;
        adopted = true;
      }
      if (adopted) c.reactive_refresh_out = true;
    } else if (r->http_status == 410) {
      c.saw_too_old = true;
    } else if (r->http_status < 500 && r->http_status != 429) {
      c.saw_other_status = true;
    }
  } else if (std::holds_alternative<CursorExpired>(e)) {
    c.saw_too_old = true;
  } else if (std::holds_alternative<ReplayFinished>(e)) {
    c.saw_replay_finished = true;
  } else if (std::holds_alternative<AuthRefreshFailed>(e)) {
    if (c.reactive_refresh_out) c.saw_refresh_failed = true;
    c.refresh_failed = true;
    c.refresh_excused_connection = c.attempt_open ? v.connection_after : 0;
    if (!c.refreshes_out.empty()) c.refreshes_out.erase(c.refreshes_out.begin());
  } else if (std::holds_alternative<AuthRefreshed>(e)) {
    c.late_answer = !c.refreshes_out.empty() && c.refreshes_out.front().given_up && c.refresh_failed;
    if (!c.refreshes_out.empty()) c.refreshes_out.erase(c.refreshes_out.begin());
  } else if (std::holds_alternative<ConnectionClosed>(e)) {
    c.attempt_open = false;
  } else if (std::holds_alternative<StopRequested>(e)) {
    c.stop_requested = true;
  } else if (const auto* a = std::get_if<DeliveryAcked>(&e)) {
    if (a->delivery_id > c.app_acked_id)
      fail(Guarantee::checkpoint, v.client, v.now,
           "the session was told delivery " + num(a->delivery_id) +
               " is acked; the application acked only up to " + num(c.app_acked_id));
    if (a->delivery_id <= c.sequence_of.size()) c.acked_id = std::max(c.acked_id, a->delivery_id);
  } else if (const auto* k = std::get_if<CheckpointSaved>(&e)) {
    if (k->delivery_id <= c.requested_id && k->delivery_id > c.durable_id) {
      c.durable_id = k->delivery_id;
      c.save_failures = 0;  // a success ends the run of failures
      if (c.durable_id == c.requested_id) c.saves_done_at = v.now;
    }
  } else if (const auto* kf = std::get_if<CheckpointSaveFailed>(&e)) {
    // Only a failure of the newest request leaves something to save again,
    // and only it counts towards the retry's backoff.
    if (kf->delivery_id > c.durable_id && kf->delivery_id == c.requested_id) {
      c.requested_id = c.durable_id;
      if (c.save_failures < std::numeric_limits<std::uint32_t>::max()) ++c.save_failures;
      c.save_retry_not_before = v.now + save_retry_wait_ms(cfg.resume, c.save_failures);
    }
  }
}

void Oracle::Impl::step(const StepView& v) {
  View& c = views[v.client];
  const Event& e = v.event;
  const bool was_open = c.open;
  const Ms opened_at = c.opened_at;
  const bool was_terminal = c.terminal;
  const bool was_confirmed = cfg.connect.confirm_timeout_ms == 0 || c.got_bytes;
  const bool was_delivered = c.delivered_on_connection;
  before_effects(c, v);

  if (was_terminal) {
    if (!v.effects.empty())
      fail(Guarantee::stop, v.client, v.now,
           std::string("effects after the session ended: ") + std::string(name_of(v.effects[0])));
    return;
  }

  const auto* frame = std::get_if<FrameReceived>(&e);
  // An id longer than the client's limit ends the session: the frame that
  // carries it never reaches the reducer (the driver must not truncate it).
  if (const std::uint64_t* from = c.oversized_from(v.event_connection);
      frame != nullptr && from != nullptr && (!frame->sequence || *frame->sequence >= *from))
    fail(Guarantee::no_silent_gap, v.client, v.now,
         "event " + (frame->sequence ? num(*frame->sequence) : std::string("-")) +
             " reached the session although the server sent an id over the client's limit on "
             "this connection (a truncated id would resume elsewhere)");
  int released = 0;
  int refreshes = 0;
  const bool fresh_401 = c.saw_401_fresh && std::holds_alternative<ServerRejected>(e) &&
                         v.event_connection == c.fresh_connection;
  const ReportGap* missing = nullptr;

  for (const Effect& effect : v.effects) {
    if (const auto* d = std::get_if<Deliver>(&effect)) {
      ++released;
      deliver(c, v, *d, missing);
      if (c.open) c.delivered_on_connection = true;
    } else if (const auto* x = std::get_if<DiscardFrame>(&effect)) {
      ++released;
      if (x->reason == DiscardReason::duplicate && x->sequence && c.have_expect && *x->sequence >= c.expect_next)
        fail(Guarantee::no_silent_gap, v.client, v.now,
             "new frame " + num(*x->sequence) + " discarded as a duplicate");
    } else if (const auto* g = std::get_if<ReportGap>(&effect)) {
      if (g->cause == GapCause::missing) {
        missing = g;
      } else {
        if (!is_too_old(e))
          fail(Guarantee::no_silent_gap, v.client, v.now,
               "spurious cursor-too-old gap: the server did not say the cursor is too old");
        if (c.have_expect && g->from_sequence && *g->from_sequence != c.expect_next)
          fail(Guarantee::no_silent_gap, v.client, v.now,
               "cursor-too-old gap from " + num(*g->from_sequence) + ", expected from " +
                   num(c.expect_next));
        c.too_old_pending = true;
      }
    } else if (const auto* k = std::get_if<SaveCheckpoint>(&effect)) {
      // One save in flight at a time, but for the final flush: a store slower
      // than the commit rate would otherwise queue writes without bound.
      if (c.requested_id > c.durable_id && !is_terminal(v.after))
        fail(Guarantee::checkpoint, v.client, v.now,
             "checkpoint save " + num(k->delivery_id) + " asked while save " +
                 num(c.requested_id) + " is in flight");
      c.requested_id = std::max(c.requested_id, k->delivery_id);
      if (holds_stale_id(k->cursor))
        fail(Guarantee::no_silent_gap, v.client, v.now,
             "checkpoint " + num(k->delivery_id) + " keeps the id '" + std::string(k->cursor.token.view()) +
                 "' the stream reset");
    } else if (const auto* connect = std::get_if<Connect>(&effect)) {
      if (c.stop_requested) fail(Guarantee::stop, v.client, v.now, "connect after stop");
      if (connect->from == ResumeFrom::cursor && holds_stale_id(connect->cursor))
        fail(Guarantee::no_silent_gap, v.client, v.now,
             "resumes with the id '" + std::string(connect->cursor.token.view()) +
                 "' the stream reset (an empty id: the cursor is the sequence alone)");
      if (c.resync_from && connect->from != *c.resync_from)
        fail(Guarantee::no_silent_gap, v.client, v.now,
             "resumes from " + std::string(name_of(connect->from)) +
                 " after a cursor-too-old resync; the policy says from " +
                 std::string(name_of(*c.resync_from)));
      const bool late_retry = std::holds_alternative<AuthRefreshed>(e) && c.late_answer;
      if (v.now < c.backoff_until && !late_retry)
        fail(Guarantee::backoff_bounds, v.client, v.now,
             "connect " + num(c.backoff_until - v.now) + " ms before the backoff ends");
      c.fresh_connection =
          (std::holds_alternative<AuthRefreshed>(e) && (c.reactive_refresh_out || late_retry)) ? v.connection_after : 0;
    } else if (const auto* r = std::get_if<RefreshAuth>(&effect)) {
      if (r->cause == RefreshCause::rejected) ++refreshes;
    } else if (const auto* s = std::get_if<ReportStatus>(&effect)) {
      if (s->status.kind == StatusKind::backing_off) {
        if (std::holds_alternative<NetworkRestored>(e)) {
          // A restore only moves the attempt time: the count stays.
          if (s->status.failures != c.failures)
            fail(Guarantee::backoff_bounds, v.client, v.now,
                 "backoff cut short by a network restore reports failure count " +
                     num(std::uint64_t{s->status.failures}) + ", the oracle counts " +
                     num(std::uint64_t{c.failures}));
        } else {
          enter_backoff(c, v, s->status, count_failure(c, v, was_open, opened_at, was_confirmed, was_delivered));
        }
        c.backoff_until = s->status.next_attempt_at.ms;
      }
    }
  }
  if (frame != nullptr && released != 1)
    fail(Guarantee::no_silent_gap, v.client, v.now,
         "frame " + (frame->sequence ? num(*frame->sequence) : std::string("-")) +
             " released " + std::to_string(released) + " times");
  if (missing != nullptr && !std::any_of(v.effects.begin(), v.effects.end(),
                                         [](const Effect& x) { return std::holds_alternative<Deliver>(x); }))
    fail(Guarantee::no_silent_gap, v.client, v.now, "a missing gap reported without a delivery");
  check_saves(c, v);
  check_batch_count(c, v);
  check_auth(c, v, refreshes, fresh_401);
  check_pacing(c, v);
  track_batching(c, v);
  if (std::holds_alternative<AuthRefreshed>(e) || std::holds_alternative<AuthRefreshFailed>(e))
    c.reactive_refresh_out = false;
  if (refreshes > 0) c.reactive_refresh_out = true;
  if (RefreshingAuth const* ra = std::get_if<RefreshingAuth>(&v.after.phase); ra == nullptr &&
      std::holds_alternative<Tick>(e) && std::holds_alternative<RefreshingAuth>(v.before)) {
    c.saw_refresh_failed = true;  // the refresh timed out
    c.reactive_refresh_out = false;
  }
  // Guarantee 8 the other way: only a silent stream is closed as silent. A
  // Tick closes a stream only for its heartbeat budget, so bytes within the
  // budget (heartbeats count) make that close spurious.
  if (cfg.heartbeat && was_open && std::holds_alternative<Tick>(e) && std::holds_alternative<Streaming>(v.before) &&
      v.now - c.last_rx < cfg.heartbeat->budget_ms() &&
      std::any_of(v.effects.begin(), v.effects.end(),
                  [](const Effect& x) { return std::holds_alternative<CloseConnection>(x); }))
    fail(Guarantee::half_open, v.client, v.now,
         "closed a stream as silent that got bytes " + num(v.now - c.last_rx) +
             " ms ago, within the heartbeat budget " + num(cfg.heartbeat->budget_ms()) + " ms");
  if (c.open && v.connection_after != c.connection) c.open = false;
  if (std::holds_alternative<GaveUp>(v.after.phase))
    check_gave_up(c, v, was_open, opened_at, was_confirmed, was_delivered);
  // Guarantee 7: a link-up during a backoff that has already reached a give-up
  // limit ends the session at once (docs/state-machine.md, BackingOff).
  if (std::holds_alternative<NetworkRestored>(e) && std::holds_alternative<BackingOff>(v.before) &&
      !is_terminal(v.after) && c.failures > 0)
    if (const auto why = give_up_due(c, c.failures, v.now))
      fail(Guarantee::liveness, v.client, v.now,
           "a link-up during a backoff after failure " + num(std::uint64_t{c.failures}) +
               " did not give up although the give-up policy says " + std::string(name_of(*why)));
  if (is_terminal(v.after)) terminal_entered(c, v);
}

void Oracle::Impl::deliver(View& c, const StepView& v, const Deliver& d, const ReportGap* missing) {
  const auto* frame = std::get_if<FrameReceived>(&v.event);
  if (frame == nullptr || frame->frame_ref != d.frame_ref || frame->sequence != d.sequence)
    fail(Guarantee::no_silent_gap, v.client, v.now, "delivered a frame that did not arrive in this step");
  if (c.stop_requested) fail(Guarantee::stop, v.client, v.now, "delivery after stop");
  if (d.delivery_id != c.sequence_of.size() + 1)
    fail(Guarantee::no_duplicate, v.client, v.now,
         "delivery id " + num(d.delivery_id) + " after " + num(std::uint64_t{c.sequence_of.size()}));
  if (!d.sequence) {
    if (missing != nullptr) fail(Guarantee::no_silent_gap, v.client, v.now,
                                 "spurious gap: reported before a delivery with no sequence");
    c.sequence_of.push_back(0);
    return;
  }
  const std::uint64_t s = *d.sequence;
  // Guarantee 1, no spurious gap: a missing gap names exactly what the world
  // lost for this client, [expected, s - 1], and only under strict detection.
  if (missing != nullptr) {
    const bool exact = cfg.resume.gaps == GapDetection::strict && c.have_expect && s > c.expect_next &&
                       missing->from_sequence == c.expect_next && missing->to_sequence == s - 1;
    if (!exact) {
      const auto text = [](const std::optional<std::uint64_t>& x) { return x ? num(*x) : std::string("-"); };
      fail(Guarantee::no_silent_gap, v.client, v.now,
           "spurious gap: reported " + text(missing->from_sequence) + ".." + text(missing->to_sequence) +
               " before delivering " + num(s) + (c.have_expect ? ", expected " + num(c.expect_next) : std::string()));
    }
  }
  c.resync_from.reset();
  if (c.have_expect && s < c.expect_next) {
    if (c.loaded_sequence && s <= *c.loaded_sequence)
      fail(Guarantee::no_duplicate, v.client, v.now,
           "re-delivered " + num(s) + ", at or before the durable checkpoint " +
               num(*c.loaded_sequence));
    else
      fail(Guarantee::no_duplicate, v.client, v.now,
           "duplicate delivery of " + num(s) + " (expected " + num(c.expect_next) + ")");
  } else if (c.have_expect && s > next_streamed(c.expect_next)) {
    const bool covered_missing = missing != nullptr && missing->from_sequence &&
                                 *missing->from_sequence <= c.expect_next && missing->to_sequence &&
                                 *missing->to_sequence >= s - 1;
    if (!covered_missing && !c.too_old_pending)
      fail(Guarantee::no_silent_gap, v.client, v.now,
           "silent gap: " + num(c.expect_next) + ".." + num(s - 1) + " never delivered or reported");
  }
  if (!c.have_expect || s >= c.expect_next) {
    c.expect_next = s + 1;
    c.have_expect = true;
  }
  c.too_old_pending = false;
  c.sequence_of.push_back(s);
}

void Oracle::Impl::check_saves(View& c, const StepView& v) {
  const std::uint64_t delivered = c.sequence_of.size();
  for (const Effect& effect : v.effects) {
    const auto* k = std::get_if<SaveCheckpoint>(&effect);
    if (k == nullptr) continue;
    if (k->delivery_id == 0 || k->delivery_id > delivered) {
      fail(Guarantee::checkpoint, v.client, v.now, "checkpoint of undelivered delivery " + num(k->delivery_id));
      continue;
    }
    const std::uint64_t s = c.sequence_of[k->delivery_id - 1];
    if (!k->cursor.has_sequence || k->cursor.sequence != s)
      fail(Guarantee::checkpoint, v.client, v.now,
           "checkpoint cursor " + num(k->cursor.sequence) + " is not delivery " +
               num(k->delivery_id) + "'s sequence " + num(s));
    if (cfg.resume.commit == CommitPolicy::on_ack && k->delivery_id > c.acked_id)
      fail(Guarantee::checkpoint, v.client, v.now,
           "checkpoint of delivery " + num(k->delivery_id) + " ahead of the ack " + num(c.acked_id));
    if (cfg.resume.commit == CommitPolicy::on_next_delivery && k->delivery_id >= delivered)
      fail(Guarantee::checkpoint, v.client, v.now,
           "checkpoint of delivery " + num(k->delivery_id) + " before a later delivery arrived");
    if (s < c.saved_sequence)
      fail(Guarantee::checkpoint, v.client, v.now,
           "checkpoint moved back from " + num(c.saved_sequence) + " to " + num(s));
    c.saved_sequence = std::max(c.saved_sequence, s);
  }
}

// Guarantee 3, batching by count: with no save in flight and none failing, no
// step ends with checkpoint_every_events commits unsaved (the session asks the
// save in the step that makes the batch full). Commits here are what the
// session was fed (DeliveryAcked, or the next delivery): the driver's own
// truthfulness is judged apart.
void Oracle::Impl::check_batch_count(View& c, const StepView& v) {
  if (is_terminal(v.after) || c.save_failures > 0 || c.requested_id > c.durable_id) return;
  const std::uint64_t delivered = c.sequence_of.size();
  const std::uint64_t committed = cfg.resume.commit == CommitPolicy::on_ack ? std::min(c.acked_id, delivered)
                                                                            : (delivered > 0 ? delivered - 1 : 0);
  if (committed < c.requested_id + cfg.resume.checkpoint_every_events) return;
  fail(Guarantee::checkpoint, v.client, v.now,
       num(committed - c.requested_id) + " commits unsaved with no save in flight (checkpoint_every_events " +
           num(std::uint64_t{cfg.resume.checkpoint_every_events}) + ")");
}

// The oracle's own count of consecutive failed attempts for the backoff entered
// in this step, by the rules of config.hpp's BackoffPolicy and
// docs/state-machine.md: every failed attempt counts one more; a stream that
// proved healthy (its first delivered frame under ResetOn::first_frame, open for
// stable_ms under ResetOn::stable_period) and was not a short session
// (open >= short_session_ms) ends the run of failures, so its end counts 1, or
// 0 if the server closed it cleanly; an unconfirmed (Confirming) or unopened
// attempt never resets. A 401 leads to a refresh and a new attempt with the same
// count (nothing enters a backoff); a failed refresh with the backoff policy
// counts one more; a cursor-too-old resync counts like any other stream end,
// never as a clean close.
Oracle::Impl::Ending Oracle::Impl::count_failure(const View& c, const StepView& v, bool was_open, Ms opened_at,
                                                 bool confirmed, bool delivered) const {
  const BackoffPolicy& b = cfg.backoff;
  const auto inc = [](std::uint32_t n) { return n == std::numeric_limits<std::uint32_t>::max() ? n : n + 1; };
  const bool short_session = was_open && v.now - opened_at < b.short_session_ms;
  const Event& e = v.event;
  const auto* closed = std::get_if<ConnectionClosed>(&e);
  const bool stream_end = was_open && confirmed &&
                          (closed != nullptr || std::holds_alternative<Tick>(e) ||
                           std::holds_alternative<CursorExpired>(e));
  if (!stream_end) return {inc(c.failures), short_session};
  const bool healthy = b.reset_on == ResetOn::first_frame ? delivered : v.now - opened_at >= b.stable_ms;
  if (healthy && !short_session) {
    const bool clean = closed != nullptr && closed->cause == CloseCause::clean_close;
    return {clean ? 0u : 1u, false, true};
  }
  return {inc(c.failures), short_session};
}

void Oracle::Impl::check_backoff(View& c, const StepView& v, const Status& st, const Ending& own) {
  const BackoffPolicy& b = cfg.backoff;
  const std::int64_t delay = st.next_attempt_at.ms - v.now;
  if (st.failures != own.failures)
    fail(Guarantee::backoff_bounds, v.client, v.now,
         "backoff (" + std::string(name_of(st.reason)) + ") reports failure count " +
             num(std::uint64_t{st.failures}) + ", but the oracle counts " +
             num(std::uint64_t{own.failures}) + " consecutive failed attempts");
  const std::uint32_t n = own.failures;
  std::int64_t lo = b.clean_close_delay_ms, hi = b.clean_close_delay_ms;
  if (n > 0) {
    // The one jitter rule (backoff.hpp); the envelope, as the oracle cannot see
    // the previous draw decorrelated jitter depends on.
    const DelayBounds j = jitter_envelope(b, n);
    lo = j.delay_ms_min;
    hi = j.delay_ms_max;
  }
  std::int64_t floor_ms = own.short_session ? b.short_session_delay_ms_min : 0;
  // Retry-After is a hint on 429 and 503 only (docs/state-machine.md, "Server
  // answers"); a 500 that carries one backs off as any other 5xx.
  if (const auto* r = std::get_if<ServerRejected>(&v.event);
      r && r->retry_after_ms && b.honour_retry_after && (r->http_status == 429 || r->http_status == 503))
    floor_ms = std::max(floor_ms, std::min(*r->retry_after_ms, b.hint_ms_max));
  if (n > 0) {
    // The one floor rule: a floor moves the jitter's spread above it.
    const DelayBounds f = floored(DelayBounds{lo, hi}, floor_ms);
    lo = f.delay_ms_min;
    hi = f.delay_ms_max;
  } else {
    lo = hi = std::max(lo, floor_ms);
  }
  if (cfg.budget.tokens_max > 0 && n > 0) hi += cfg.budget.refill_ms_per_token;
  if (delay < lo || delay > hi)
    fail(Guarantee::backoff_bounds, v.client, v.now,
         "backoff " + num(delay) + " ms after failure " + num(std::uint64_t{n}) + " (" +
             std::string(name_of(st.reason)) + (own.short_session ? ", short session" : "") +
             ") outside [" + num(lo) + ", " + num(hi) + "]");
  (void)c;
}

// A backoff entered for a failure: its bounds (guarantee 4), the oracle's count
// and outage clock move on, and no give-up limit may have been reached
// (guarantee 7: the session gives up at the limit, not after it).
void Oracle::Impl::enter_backoff(View& c, const StepView& v, const Status& st, const Ending& own) {
  check_backoff(c, v, st, own);
  c.failures = own.failures;
  if (own.healthy_end) c.outage_since = v.now;
  if (const auto why = own.failures > 0 ? give_up_due(c, own.failures, v.now) : std::nullopt)
    fail(Guarantee::liveness, v.client, v.now,
         "backed off after failure " + num(std::uint64_t{own.failures}) +
             " although the give-up policy says " + std::string(name_of(*why)));
}

void Oracle::Impl::check_auth(View& c, const StepView& v, int refreshes, bool fresh_401) {
  if (refreshes == 0) return;
  const auto* r = std::get_if<ServerRejected>(&v.event);
  if (refreshes > 1) fail(Guarantee::auth_refresh, v.client, v.now, "more than one refresh for one rejection");
  if (r == nullptr || r->http_status != 401) fail(Guarantee::auth_refresh, v.client, v.now,
                                                  "refresh for rejection without a 401");
  if (fresh_401) fail(Guarantee::auth_refresh, v.client, v.now,
                      "refreshed again after a 401 on refreshed credentials");
  (void)c;
}

// Guarantee 10: no operation is retried faster than its policy. Checked in
// effect order, from the world's events and the configuration alone:
// - save: after a failure of the newest requested save (the n-th in a row; a
//   durable save resets n), no SaveCheckpoint before the failure's time +
//   save_retry_wait_ms(n), except the final flush of a step that ends the
//   session;
// - refresh: after a failed refresh (AuthRefreshFailed, or a reactive refresh
//   unanswered by auth.refresh_timeout_ms), no RefreshAuth until a Connect,
//   but the one reactive refresh of a 401 that answers the attempt in flight
//   when the refresh failed; and no RefreshAuth while another is in flight
//   (asked, not answered, not given up at its timeout; a proactive refresh a
//   401 waits for is given up like a reactive one);
// - connect: no Connect while the previous attempt's connection is still open
//   (neither ended by the world nor closed by the client); after the first
//   attempt of a lifetime, a Connect needs a backoff entered since the previous
//   one (whose end guarantee 4 checks), unless it answers a refresh
//   (AuthRefreshed: the retry with fresh credentials).
void Oracle::Impl::check_pacing(View& c, const StepView& v) {
  for (View::Refresh& r : c.refreshes_out) {
    if (!r.given_up && v.now >= r.given_up_at) {
      r.given_up = true;
      c.refresh_failed = true;  // the client stops waiting: a failed refresh
    }
  }
  const bool ends = is_terminal(v.after);
  for (const Effect& effect : v.effects) {
    if (std::holds_alternative<CloseConnection>(effect)) {
      c.attempt_open = false;
    } else if (const auto* s = std::get_if<ReportStatus>(&effect)) {
      if (s->status.kind == StatusKind::backing_off) c.backoff_entered = true;
    } else if (const auto* k = std::get_if<SaveCheckpoint>(&effect)) {
      if (c.save_retry_not_before && v.now < *c.save_retry_not_before && !ends)
        fail(Guarantee::rate, v.client, v.now,
             "checkpoint save of delivery " + num(k->delivery_id) + " retried " +
                 num(*c.save_retry_not_before - v.now) + " ms before the backoff after " +
                 num(std::uint64_t{c.save_failures}) + " failed saves ends");
      c.save_retry_not_before.reset();
    } else if (std::holds_alternative<RefreshAuth>(effect)) {
      const auto* rejected = std::get_if<ServerRejected>(&v.event);
      const bool excused = rejected != nullptr && rejected->http_status == 401 && v.event_connection != 0 &&
                           v.event_connection == c.refresh_excused_connection;
      if (c.refresh_failed && !excused)
        fail(Guarantee::rate, v.client, v.now,
             "auth refresh retried after a failed one with no connection attempt since");
      const RefreshCause cause = std::get<RefreshAuth>(effect).cause;
      const auto in_flight = std::count_if(c.refreshes_out.begin(), c.refreshes_out.end(),
                                           [](const View::Refresh& r) { return !r.given_up; });
      if (in_flight > 0)
        fail(Guarantee::rate, v.client, v.now,
             std::string("auth refresh (") + std::string(name_of(cause)) + ") while " +
                 num(std::int64_t{in_flight}) + " in flight");
      const bool reactive = cause == RefreshCause::rejected;
      c.refreshes_out.push_back(
          View::Refresh{reactive ? v.now + cfg.auth.refresh_timeout_ms : std::numeric_limits<Ms>::max()});
    } else if (std::holds_alternative<Connect>(effect)) {
      if (c.attempt_open) fail(Guarantee::rate, v.client, v.now, "connect while the previous attempt is still open");
      if (c.attempted && !c.backoff_entered && !std::holds_alternative<AuthRefreshed>(v.event))
        fail(Guarantee::rate, v.client, v.now, "connect with no backoff since the previous attempt");
      // An attempt that follows a failure (after a backoff with a count > 0,
      // not the retry of a refresh) spends a budget token, and is due only
      // while the outage is within the give-up limit.
      if (c.attempted && c.backoff_entered && !std::holds_alternative<AuthRefreshed>(v.event) && c.failures > 0) {
        check_budget(c, v);
        if (cfg.give_up.outage_ms_max > 0 && v.now - c.outage_since >= cfg.give_up.outage_ms_max)
          fail(Guarantee::liveness, v.client, v.now,
               "attempt after an outage of " + num(v.now - c.outage_since) +
                   " ms although the give-up policy says outage_too_long (outage_ms_max " +
                   num(cfg.give_up.outage_ms_max) + ")");
      }
      c.attempted = true;
      c.attempt_open = true;
      c.backoff_entered = false;
      c.refresh_failed = false;
      c.refresh_excused_connection = 0;
    }
  }
}

// Guarantee 10, the retry budget: an exact token bucket in milliseconds of
// refill (a token is refill_ms_per_token of them), full (tokens_max tokens) at
// the lifetime's start, refilled with elapsed time up to that cap; every attempt
// that follows a failure needs a whole token and spends it. A reducer whose
// budget does not throttle attempts more than that is caught here (guarantee 4
// only widens each backoff by one refill).
void Oracle::Impl::check_budget(View& c, const StepView& v) {
  const RetryBudget& b = cfg.budget;
  if (b.tokens_max == 0) return;
  const std::int64_t cap = budget_cap_ms(b);
  const std::int64_t gained = std::max<Ms>(0, v.now - c.budget_at);
  const std::int64_t room = cap - std::max<std::int64_t>(c.budget_ms, 0);
  c.budget_ms = gained >= room ? cap : c.budget_ms + gained;
  c.budget_at = v.now;
  if (c.budget_ms < b.refill_ms_per_token)
    fail(Guarantee::rate, v.client, v.now,
         "attempt after failure " + num(std::uint64_t{c.failures}) + " with " + num(c.budget_ms) +
             " of " + num(b.refill_ms_per_token) +
             " ms of retry-budget refill: the budget (tokens_max " +
             num(std::uint64_t{b.tokens_max}) + ") does not throttle");
  c.budget_ms -= b.refill_ms_per_token;
}

// Guarantee 7, give-up at the configured limit: attempts_max consecutive
// failed attempts (the oracle's own count), or outage_ms_max since the
// lifetime's start or the end of the last healthy stream.
std::optional<Reason> Oracle::Impl::give_up_due(const View& c, std::uint32_t n, Ms now) const {
  if (cfg.give_up.attempts_max > 0 && n >= cfg.give_up.attempts_max) return Reason::attempts_exhausted;
  if (cfg.give_up.outage_ms_max > 0 && now - c.outage_since >= cfg.give_up.outage_ms_max)
    return Reason::outage_too_long;
  return std::nullopt;
}

// Guarantee 7: a GaveUp names a limit that was reached, not one still ahead.
// The failure of this step counts as when backing off; at a backoff's end (or a
// network restore) the count is the backoff's.
void Oracle::Impl::check_gave_up(View& c, const StepView& v, bool was_open, Ms opened_at, bool confirmed,
                                 bool delivered) {
  std::uint32_t n = c.failures;
  Ms outage_since = c.outage_since;
  if (!std::holds_alternative<BackingOff>(v.before)) {
    const Ending own = count_failure(c, v, was_open, opened_at, confirmed, delivered);
    n = own.failures;
    if (own.healthy_end) outage_since = v.now;
  }
  const Reason reason = std::get<GaveUp>(v.after.phase).reason;
  const GiveUpPolicy& g = cfg.give_up;
  if (reason == Reason::attempts_exhausted && !(g.attempts_max > 0 && n >= g.attempts_max))
    fail(Guarantee::liveness, v.client, v.now,
         "gave up (attempts_exhausted) after failure " + num(std::uint64_t{n}) +
             ", before the limit attempts_max " + num(std::uint64_t{g.attempts_max}));
  if (reason == Reason::outage_too_long && !(g.outage_ms_max > 0 && v.now - outage_since >= g.outage_ms_max))
    fail(Guarantee::liveness, v.client, v.now,
         "gave up (outage_too_long) after an outage of " + num(v.now - outage_since) +
             " ms, before the limit outage_ms_max " + num(g.outage_ms_max));
}

// Guarantee 3, time-based batching: while no save has failed, a commit that
// the commit policy allows (acked, or followed by a later delivery) is saved
// within checkpoint_every_ms, or when the save in flight completes if that is
// later (a suspended host runs nothing until it wakes).
// Tracked here from the world's deliveries and acks: the oracle's "unsaved
// since" starts no earlier than the reducer's.
void Oracle::Impl::track_batching(View& c, const StepView& v) {
  if (cfg.resume.checkpoint_every_ms <= 0) return;
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
  const std::int64_t every = cfg.resume.checkpoint_every_ms;
  if (every <= 0 || c.terminal || !c.unsaved_since || c.batching_late_reported || c.save_failures > 0) return;
  if (c.requested_id > std::max(c.durable_id, c.stored_id)) return;  // the batch waits for the save in flight
  const Ms deadline = std::max({*c.unsaved_since + every, c.suspended_until, c.saves_done_at});
  if (now <= deadline) return;
  c.batching_late_reported = true;
  fail(Guarantee::checkpoint, client, now,
       "a commit unsaved since " + num(*c.unsaved_since) + " ms, not saved by " + num(deadline) +
           " ms (checkpoint_every_ms " + num(every) + ")");
}

void Oracle::Impl::terminal_entered(View& c, const StepView& v) {
  c.terminal = true;
  // Every terminal state flushes what may be saved.
  const std::uint64_t may_save = may_commit(c);
  if (c.requested_id < may_save)
    fail(Guarantee::stop, v.client, v.now,
         "ended without flushing: saved " + num(c.requested_id) + ", may save " + num(may_save));
  if (v.now >= healed_from_ms && c.requested_id > 0) c.flush_sequence = c.sequence_of[c.requested_id - 1];
  // The world must have given a cause.
  bool caused = false;
  std::string_view why = "?";
  if (const auto* s = std::get_if<Stopped>(&v.after.phase)) {
    caused = (s->reason == Reason::stop_requested && c.stop_requested) ||
             (s->reason == Reason::replay_complete && c.saw_replay_finished &&
              cfg.resume.mode == StreamMode::replay_only);
    why = name_of(s->reason);
  } else if (const auto* g = std::get_if<GaveUp>(&v.after.phase)) {
    caused = cfg.give_up.attempts_max > 0 || cfg.give_up.outage_ms_max > 0;
    why = name_of(g->reason);
  } else if (const auto* f = std::get_if<Failed>(&v.after.phase)) {
    why = name_of(f->reason);
    switch (f->reason) {
      case Reason::unauthorized: caused = c.saw_401 && !cfg.auth.has_provider; break;
      case Reason::rejected_after_refresh: caused = c.saw_401_fresh; break;
      case Reason::auth_refresh_failed:
        caused = c.saw_refresh_failed && cfg.auth.on_refresh_failure == RefreshFailure::terminal;
        break;
      case Reason::cursor_too_old: caused = c.saw_too_old && cfg.resume.too_old == TooOldPolicy::fail; break;
      case Reason::http_status: caused = c.saw_other_status; break;
      case Reason::unrecoverable: {
        // Only an id over the client's limit, on the connection that ended.
        const auto* closed = std::get_if<ConnectionClosed>(&v.event);
        caused = closed != nullptr && closed->cause == CloseCause::unrecoverable &&
                 c.oversized_from(v.event_connection) != nullptr;
        break;
      }
      default: break;
    }
  }
  if (!caused) fail(Guarantee::liveness, v.client, v.now,
                    "ended (" + std::string(why) + ") without a cause in the world");
}

void Oracle::time_passed(Ms now) {
  const SessionConfig& cfg = impl_->cfg;
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
    if (cfg.connect.confirm_timeout_ms > 0 && !c.got_bytes) {
      deadline = c.opened_at + cfg.connect.confirm_timeout_ms;
    } else if (cfg.heartbeat) {
      deadline = c.last_rx + cfg.heartbeat->budget_ms();
    } else {
      continue;
    }
    deadline = std::max(deadline, c.suspended_until);
    if (now > deadline) {
      c.silence_reported = true;
      impl_->fail(Guarantee::half_open, static_cast<std::uint32_t>(i), now,
                  "connection silent since " + num(c.last_rx) + " ms, not closed by " + num(deadline) + " ms");
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
