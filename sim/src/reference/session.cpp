// The streaming-session reference (<tether/sim/reference/session.hpp>): one
// step judged, and what must hold once its effects are taken.

#include <tether/model/names.hpp>
#include <tether/sim/reference/session.hpp>

#include "session_impl.hpp"

namespace tether::sim {

namespace session_reference {

namespace {

model::StatusKind kind_of_phase(const model::Phase& phase) {
  return std::visit(
      Overload{
          [](const model::Idle&) { return model::StatusKind::idle; },
          [](const model::Connecting&) { return model::StatusKind::connecting; },
          [](const model::Confirming&) { return model::StatusKind::connecting; },
          [](const model::Streaming&) { return model::StatusKind::streaming; },
          [](const model::BackingOff&) { return model::StatusKind::backing_off; },
          [](const model::RefreshingAuth&) { return model::StatusKind::refreshing_auth; },
          [](const model::Paused&) { return model::StatusKind::paused; },
          [](const model::Stopped&) { return model::StatusKind::stopped; },
          [](const model::GaveUp&) { return model::StatusKind::gave_up; },
          [](const model::Failed&) { return model::StatusKind::failed; },
      },
      phase);
}

model::Reason reason_of_phase(const model::Phase& phase) {
  return std::visit(Overload{
                        [](const model::Stopped& s) { return s.reason; },
                        [](const model::GaveUp& g) { return g.reason; },
                        [](const model::Failed& f) { return f.reason; },
                        [](const auto&) { return model::Reason::none; },
                    },
                    phase);
}

}  // namespace

void Model::check(const model::Event& event, const model::Phase& before, const model::State& after,
                  const model::Effects& effects) {
  if (terminal) {
    if (!effects.empty()) broken("after-end", "effects after a terminal state");
    if (after.phase.index() != before.index()) broken("after-end", "left a terminal state");
    return;
  }
  if (phase_is_terminal(before))
    broken("end-cause", "the reducer was terminal before the reference saw it end");
  Ctx ctx;
  early_save = false;
  ctx.event = &event;
  ctx.now = model::time_of(event);
  ctx.refresh_was_out = refresh_out != 0;
  plan(event, ctx);
  walk(effects, ctx);
  settle(event, after, effects, ctx);
}

void Model::settle(const model::Event& event, const model::State& after,
                   const model::Effects& effects, Ctx& ctx) {
  const model::Phase& phase = after.phase;
  const bool now_terminal = phase_is_terminal(phase);
  if (ctx.quiet && !effects.empty())
    broken_by(rule_of_unexpected(effects[0]), "an event the session must ignore had effects");
  if (ctx.early_tick && !effects.empty())
    broken("tick", "a Tick before next_deadline() had effects");
  if (effects.size() >= model::effects_max)
    broken("effects-capacity", "effects filled to capacity: some may have been dropped");
  const bool happened = settle_failure(phase, ctx);
  if (ctx.terminal) check_terminal(*ctx.terminal, phase);
  if (now_terminal && !ctx.terminal && !(ctx.failure && ctx.failure->give_up)) {
    const std::string what = "unexpected terminal state " + std::string(model::name_of(phase)) +
                             " (" + std::string(model::name_of(reason_of_phase(phase))) + ")";
    if (std::holds_alternative<model::GaveUp>(phase))
      broken("give-up", what + ": no give-up limit reached");
    broken("end-cause", what);
  }
  if (ctx.refresh_rejected) {
    // A refresh already out (proactive, or timed out unanswered) answers the 401: no second one.
    const int wanted = ctx.refresh_was_out ? 0 : 1;
    if (ctx.rejected_refreshes != wanted || !std::holds_alternative<model::RefreshingAuth>(phase))
      broken("auth-refresh",
             ctx.refresh_was_out
                 ? "a 401 while a refresh is out must wait for it (RefreshingAuth), not ask again"
                 : "a 401 with an auth provider must refresh once and wait (RefreshingAuth)");
    refreshing = true;
    refresh_at = ctx.now;
  }
  if (ctx.must_close && happened && ctx.closes == 0) {
    // A session that ends leaves nothing open; a failed attempt left open
    // would overlap the next one.
    if (ctx.terminal || now_terminal) broken("after-end", "the connection was not closed");
    if (ctx.pause) broken("paused", "a pause left the connection open");
    if (ctx.reconnect) broken("reconnect", "a reconnect left the connection open");
    broken("connect-overlap", "the connection was not closed");
  }
  settle_step(ctx, happened);
  settle_saves(event, phase, ctx);
  check_status(phase);
  if (std::holds_alternative<model::Tick>(event)) check_tick(after, ctx);
}

// The failure this event caused, if any: backed off, or gave up where the
// policy says. False: the connect deadline fell inside the rounding tolerance
// and did not fire.
bool Model::settle_failure(const model::Phase& phase, const Ctx& ctx) const {
  if (!ctx.failure) return true;
  const Failure& f = *ctx.failure;
  const bool now_terminal = phase_is_terminal(phase);
  if (ctx.failure_optional && !ctx.backed_off && !now_terminal) return false;
  if (f.give_up) {
    if (!std::holds_alternative<model::GaveUp>(phase) ||
        std::get<model::GaveUp>(phase).reason != *f.give_up)
      broken("give-up", "failure " + num(f.count) + " should give up (" +
                            std::string(model::name_of(*f.give_up)) + "), phase is " +
                            std::string(model::name_of(phase)));
  } else if (!ctx.backed_off && !ctx.terminal) {
    const std::string what = "a failure (" + std::string(model::name_of(f.reason)) +
                             ") did not back off; phase is " + std::string(model::name_of(phase));
    if (std::holds_alternative<model::GaveUp>(phase))
      broken("give-up", what + " (before the give-up limit)");
    if (now_terminal)
      broken("end-cause", "ended " + std::string(model::name_of(phase)) + " (" +
                              std::string(model::name_of(reason_of_phase(phase))) +
                              ") on a failure (" + std::string(model::name_of(f.reason)) +
                              ") that backs off");
    if (f.reason == model::Reason::heartbeat_timeout) broken("heartbeat", what);
    broken("backoff-entered", what);
  }
  return true;
}

// What the step owed: a frame released once, gaps told, a Connect when due.
void Model::settle_step(const Ctx& ctx, bool happened) {
  if (ctx.frame && ctx.releases != 1)
    broken("frame-release", "a frame was neither delivered nor discarded");
  if (ctx.too_old && !ctx.too_old_reported && happened)
    broken("gap", "cursor too old without a gap report");
  if (ctx.pending_gap) broken("gap", "a gap was reported without the delivery it precedes");
  if ((ctx.connect != ConnectKind::none || ctx.backoff_due) && !ctx.connected)
    broken("connect-due", "no Connect although one is due");
  if (ctx.reconnect && !ctx.reconnect_reported)
    broken("reconnect", "a reconnect did not back off (no backing_off status)");
  if (ctx.pause && connection != Connection::none)
    broken("paused", "paused with the connection open");
  if (ctx.restore && !ctx.restore_reported && !ctx.connected && !budget_on() &&
      ms_between(ctx.now, backoff_until) > backoff().restored_delay_ms_max)
    broken("network-restored", "network restored did not cut the backoff");
}

// Saves: one in flight (but the final flush), a failed one retried at its
// backoff's end and not before, batches by count and by time, and every
// terminal state flushes what may be saved. Then the phase cross-check.
void Model::settle_saves(const model::Event& event, const model::Phase& phase, const Ctx& ctx) {
  const bool now_terminal = phase_is_terminal(phase);
  const bool tick = std::holds_alternative<model::Tick>(event);
  if (save_while_saving && !now_terminal)
    broken(
        "save-in-flight",
        "a checkpoint save was asked while another is in flight (a slow store would queue writes)");
  save_while_saving = false;
  if (now_terminal) {
    if (committable > requested)
      broken("flush", "entered " + std::string(model::name_of(phase)) +
                          " without flushing committable delivery " + num(committable) +
                          " (saved up to " + num(requested) + ")");
    if (connection != Connection::none)
      broken("after-end", "entered a terminal state with the connection open");
    terminal = true;
    return;
  }
  // Paused: no batching; only a save in flight or a failed save's backoff
  // may hold a commit back (the process may be suspended or killed).
  if (paused && !save_retry_not_before && requested <= durable && committable > requested)
    broken("paused", "paused with delivery " + num(committable) + " committed and not saved (" +
                         num(requested) + " asked)");
  if (early_save)
    broken("save-retry",
           "a failed checkpoint save was retried before its backoff (checkpoint_retry_ms_min)");
  if (save_retry_not_before || requested > durable) {
    // A failed save waits for its retry, and any save in flight (a retry or
    // a batch) for its outcome; batching resumes after it.
    if (save_retry_not_before && tick && ctx.now >= *save_retry_not_before)
      broken("save-retry", "a failed checkpoint save was not retried when its backoff ended");
  } else {
    if (committable > requested && committable - requested >= config.resume.checkpoint_every_events)
      broken("batching", "checkpoint batching: " + num(committable - requested) +
                             " commits unsaved, limit " +
                             num(std::uint64_t{config.resume.checkpoint_every_events}));
    if (tick && config.resume.checkpoint_every_ms > 0 && unsaved_since && committable > requested &&
        ms_between(*unsaved_since, ctx.now) >= config.resume.checkpoint_every_ms)
      broken("batching", "checkpoint batching: a commit waited longer than checkpoint_every_ms");
  }
  check_phase(phase);
}

void Model::check_terminal(const Terminal& t, const model::Phase& phase) const {
  const bool kind_ok =
      (t.kind == TerminalKind::stopped && std::holds_alternative<model::Stopped>(phase)) ||
      (t.kind == TerminalKind::gave_up && std::holds_alternative<model::GaveUp>(phase)) ||
      (t.kind == TerminalKind::failed && std::holds_alternative<model::Failed>(phase));
  const model::Reason reason = reason_of_phase(phase);
  if (kind_ok && reason == t.reason) return;
  const std::string what = "expected a terminal state with reason " +
                           std::string(model::name_of(t.reason)) + ", phase is " +
                           std::string(model::name_of(phase)) + " (" +
                           std::string(model::name_of(reason)) + ")";
  if (t.kind == TerminalKind::stopped) broken("after-end", what);
  if (t.kind == TerminalKind::gave_up) broken("give-up", what);
  broken("end-cause", what);
}

void Model::check_phase(const model::Phase& phase) const {
  bool ok = false;
  std::string_view want;
  if (paused) {
    const auto* p = std::get_if<model::Paused>(&phase);
    ok = p != nullptr && p->started == !paused_unstarted;
    want = paused_unstarted ? "Paused (not started)" : "Paused";
  } else if (!started) {
    ok = std::holds_alternative<model::Idle>(phase);
    want = "Idle";
  } else if (connection == Connection::attempting) {
    ok = std::holds_alternative<model::Connecting>(phase);
    want = "Connecting";
  } else if (connection == Connection::open) {
    ok = confirmed ? std::holds_alternative<model::Streaming>(phase)
                   : std::holds_alternative<model::Confirming>(phase);
    want = confirmed ? "Streaming" : "Confirming";
  } else if (refreshing) {
    ok = std::holds_alternative<model::RefreshingAuth>(phase);
    want = "RefreshingAuth";
  } else if (backing_off) {
    ok = std::holds_alternative<model::BackingOff>(phase);
    want = "BackingOff";
  }
  if (!ok)
    broken("phase", "phase is " + std::string(model::name_of(phase)) +
                        ", but the events and effects say " +
                        std::string(want.empty() ? "nothing is pending" : want));
}

void Model::check_status(const model::Phase& phase) const {
  const model::StatusKind kind = kind_of_phase(phase);
  bool ok = reported.kind == kind;
  if (const auto* b = std::get_if<model::BackingOff>(&phase)) {
    ok = ok && reported.next_attempt_at == b->until && reported.failures == b->failures &&
         reported.reason == b->reason;
  } else if (phase_is_terminal(phase)) {
    ok = ok && reported.reason == reason_of_phase(phase);
  }
  if (!ok)
    broken("status", "last reported " + text(reported) + " does not describe phase " +
                         std::string(model::name_of(phase)));
}

// The Tick contract: after a Tick, next_deadline() is not in the past, and a
// second Tick at the same instant does nothing (a driver may fire twice).
void Model::check_tick(const model::State& after, const Ctx& ctx) {
  if (const auto next = model::next_deadline(after); next && *next < ctx.now)
    broken("tick", "next_deadline() " + num(next->ms) + " is in the past after a Tick at " +
                       num(ctx.now.ms));
  const model::Step again = model::transition(after, model::Tick{ctx.now});
  if (!again.effects.empty())
    broken("tick", "a second Tick at the same instant had effects: " +
                       std::string(model::name_of(again.effects[0])));
}

}  // namespace session_reference

struct SessionReference::Impl {
  explicit Impl(const model::SessionConfig& config) : model(config) {}
  session_reference::Model model;
  bool stopped = false;  // a finding was made: the model no longer describes the session
};

SessionReference::SessionReference(const model::SessionConfig& config)
    : impl_(std::make_unique<Impl>(config)) {}
SessionReference::~SessionReference() = default;
SessionReference::SessionReference(SessionReference&&) noexcept = default;
SessionReference& SessionReference::operator=(SessionReference&&) noexcept = default;

std::optional<Violation> SessionReference::check(const model::Event& event,
                                                 const model::Phase& before,
                                                 const model::State& after,
                                                 const model::Effects& effects) {
  if (impl_->stopped) return std::nullopt;
  session_reference::Model& judge = impl_->model;
  try {
    judge.check(event, before, after, effects);
  } catch (const session_reference::Broken& b) {
    impl_->stopped = true;
    return Violation{b.rule.guarantee, b.rule.name, b.what, model::time_of(event).ms, 0};
  }
  // The state after this step is the one before the next: its deadline is
  // all an early Tick is judged by.
  judge.deadline_before = model::next_deadline(after);
  return std::nullopt;
}

bool SessionReference::stopped() const { return impl_->stopped; }

}  // namespace tether::sim
