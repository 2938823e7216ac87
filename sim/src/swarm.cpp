#include <algorithm>
#include <array>
#include <tether/model/cursor.hpp>
#include <tether/model/presets.hpp>
#include <tether/model/prng.hpp>
#include <tether/sim/swarm.hpp>

namespace tether::sim {

namespace {

using model::Prng;

bool chance(Prng& p, std::int64_t percent) { return p.uniform(0, 99) < percent; }

Overrides draw_overrides(Prng& p, bool preset_has_heartbeat) {
  Overrides o;
  if (!preset_has_heartbeat && chance(p, 60)) o.heartbeat_interval_ms = p.uniform(2, 30) * 1000;
  if (preset_has_heartbeat && chance(p, 50)) {
    o.heartbeat_interval_ms = p.uniform(2, 30) * 1000;
    o.heartbeat_slack_ms = p.uniform(0, 10) * 1000;
  }
  if (chance(p, 25)) o.confirm_timeout_ms = p.uniform(1, 10) * 1000;
  if (chance(p, 35)) o.commit = model::CommitPolicy::on_next_delivery;
  if (chance(p, 50)) o.checkpoint_every_events = static_cast<std::uint32_t>(p.uniform(1, 20));
  if (chance(p, 30)) o.checkpoint_every_ms = p.uniform(1, 10) * 500;
  const std::int64_t too_old = p.uniform(0, 9);
  o.too_old = too_old == 0  ? model::TooOldPolicy::fail
              : too_old < 6 ? model::TooOldPolicy::resync_from_oldest
                            : model::TooOldPolicy::resume_from_live;
  o.auth_provider = !chance(p, 5);
  if (chance(p, 10)) o.on_refresh_failure = model::RefreshFailure::terminal;
  if (chance(p, 5)) o.give_up_attempts_max = static_cast<std::uint32_t>(p.uniform(3, 30));
  if (chance(p, 20)) {
    o.budget_tokens_max = static_cast<std::uint32_t>(p.uniform(1, 10));
    o.budget_refill_ms_per_token = p.uniform(1, 20) * 500;
  }
  if (chance(p, 20)) o.delay_ms_max = p.uniform(2, 60) * 1000;
  return o;
}

WorldParams draw_world(Prng& p, const model::SessionConfig& cfg) {
  WorldParams w;
  w.append_every_ms = p.uniform(5, 40) * 50;
  w.retention_ms = chance(p, 40) ? p.uniform(10, 300) * 1000 : 0;
  // Heartbeats at or under the client's interval: a healthy stream never looks silent.
  if (cfg.heartbeat)
    w.heartbeat_every_ms = std::max<Ms>(500, cfg.heartbeat->interval_ms * p.uniform(3, 10) / 10);
  else if (chance(p, 50))
    w.heartbeat_every_ms = p.uniform(1, 30) * 1000;
  w.connection_ms_max = chance(p, 40) ? p.uniform(5, 120) * 1000 : 0;
  w.too_old_in_band = chance(p, 50);
  w.auth = chance(p, 50);
  w.token_lifetime_ms = p.uniform(20, 600) * 1000;
  w.app_knows_expiry = chance(p, 50);
  w.latency_ms_min = p.uniform(0, 30);
  w.latency_ms_max = w.latency_ms_min + p.uniform(0, 300);
  w.ack_delay_ms = chance(p, 50) ? 0 : p.uniform(1, 2000);
  w.store_write_ms = p.uniform(1, 100);
  w.refresh_ms = p.uniform(1, 2000);
  w.notify_network_restored = chance(p, 50);
  return w;
}

// Swarm testing: each seed disables some kinds and weights the rest.
std::array<std::int64_t, fault_kind_count> draw_weights(Prng& p, const Scenario& s,
                                                        const model::SessionConfig& cfg) {
  std::array<std::int64_t, fault_kind_count> w{};
  // The kinds up to torn_write; the application's lifecycle inputs come from a
  // situation of their own (draw_lifecycle), so every seed's draws here stay
  // what they were.
  constexpr std::size_t weighted_kinds = static_cast<std::size_t>(FaultKind::torn_write) + 1;
  for (std::size_t k = 0; k < weighted_kinds; ++k) w[k] = chance(p, 50) ? p.uniform(1, 10) : 0;
  // Half-open links are undetectable without a heartbeat policy: that is a
  // configuration choice, not a fault the client can survive.
  if (!cfg.heartbeat) w[static_cast<std::size_t>(FaultKind::half_open)] = 0;
  if (!s.world.auth) {
    w[static_cast<std::size_t>(FaultKind::auth_revoked)] = 0;
    w[static_cast<std::size_t>(FaultKind::token_expiry)] = 0;
  }
  // Revocation and early stops end sessions: keep them rare.
  w[static_cast<std::size_t>(FaultKind::auth_revoked)] =
      std::min<std::int64_t>(w[static_cast<std::size_t>(FaultKind::auth_revoked)], 1);
  w[static_cast<std::size_t>(FaultKind::stop)] =
      std::min<std::int64_t>(w[static_cast<std::size_t>(FaultKind::stop)], 1);
  return w;
}

Ms draw_duration(Prng& p, FaultKind k) {
  switch (k) {
    case FaultKind::reset:
    case FaultKind::token_expiry:
    case FaultKind::stop:
      return 0;
    case FaultKind::crash:
    case FaultKind::torn_write:
      return p.uniform(0, 10000);
    case FaultKind::server_restart:
      return p.uniform(0, 20000);
    case FaultKind::suspend:
      return p.uniform(1000, 180000);
    default:
      return p.uniform(100, 90000);
  }
}

std::int64_t draw_param(Prng& p, FaultKind k) {
  switch (k) {
    case FaultKind::loss:
      return p.uniform(100, 1000);
    case FaultKind::slow_link:
      return p.uniform(10, 5000);
    case FaultKind::server_restart:
      return chance(p, 30) ? 1 : 0;
    case FaultKind::torn_write:
      return chance(p, 50) ? 1 : 0;
    case FaultKind::rate_limit:
      return chance(p, 70) ? p.uniform(1, 600) * 1000 : 0;
    case FaultKind::server_errors: {
      constexpr std::array<std::int64_t, 4> statuses{500, 502, 503, 504};
      return statuses[static_cast<std::size_t>(p.uniform(0, 3))];
    }
    default:
      return 0;
  }
}

// What the policy implies about the world it can meet, enforced by narrowing
// the drawn world (no further draws, so the world's other draws stay put).
// Each rule keeps a world the policy cannot work in from being reported as the
// policy's failure:
// - no auth provider: a 401 is fatal by design, so no auth-checking world;
// - a round trip fits the connect timeout (latency_ms_max <= timeout / 4);
// - a refresh answers within its timeout (refresh_ms < refresh_timeout_ms);
// - with a heartbeat budget B, the server's heartbeats come at most every B / 2
//   and the latency spread (which reorders nothing but stretches the gaps
//   between arrivals) stays under B / 4, so a healthy stream never looks silent;
// - with a confirm timeout C, the same for C: the server sends something at
//   least every C / 2.
void fit_world(WorldParams& w, const model::SessionConfig& cfg) {
  if (!cfg.auth.has_provider) w.auth = false;
  const auto narrow_latency = [&w](Ms spread_max, Ms max) {
    w.latency_ms_max = std::min({w.latency_ms_max, max, w.latency_ms_min + spread_max});
    w.latency_ms_min = std::min(w.latency_ms_min, w.latency_ms_max);
  };
  narrow_latency(cfg.connect.timeout_ms, std::max<Ms>(0, cfg.connect.timeout_ms / 4));
  w.refresh_ms = std::min(w.refresh_ms, std::max<Ms>(0, (cfg.auth.refresh_timeout_ms - 1) / 2));
  const auto beat_within = [&](Ms budget_ms) {
    const Ms every = std::max<Ms>(1, budget_ms / 2);
    w.heartbeat_every_ms = w.heartbeat_every_ms > 0 ? std::min(w.heartbeat_every_ms, every) : every;
    narrow_latency(std::max<Ms>(0, budget_ms / 4), w.latency_ms_max);
  };
  if (cfg.heartbeat) beat_within(cfg.heartbeat->budget_ms());
  if (cfg.connect.confirm_timeout_ms > 0) beat_within(cfg.connect.confirm_timeout_ms);
}

// The fault timeline: 0..16 faults drawn from the seed's weights.
void draw_faults(Prng& p, Scenario& s, const model::SessionConfig& cfg) {
  const auto weights = draw_weights(p, s, cfg);
  std::int64_t total = 0;
  for (std::int64_t w : weights) total += w;
  const std::int64_t n = total == 0 ? 0 : p.uniform(0, 16);
  for (std::int64_t j = 0; j < n; ++j) {
    std::int64_t pick = p.uniform(0, total - 1);
    std::size_t k = 0;
    while (pick >= weights[k]) pick -= weights[k++];
    Fault f{static_cast<FaultKind>(k)};
    f.client =
        chance(p, 30) ? all_clients : static_cast<std::uint32_t>(p.uniform(0, s.clients - 1));
    f.at_ms = p.uniform(0, s.safety_ms - 1);
    f.duration_ms = draw_duration(p, f.kind);
    f.param = draw_param(p, f.kind);
    s.faults.push_back(f);
  }
  std::sort(s.faults.begin(), s.faults.end(),
            [](const Fault& a, const Fault& b) { return a.at_ms < b.at_ms; });
}

// Opaque ids, filtered streams and resume overlaps, from a stream of their own
// so that the other draws stay what they were for every seed. A filter is drawn
// only where `filter_allowed`.
void draw_ids_and_filters(std::uint64_t seed, WorldParams& w, bool filter_allowed, Overrides* o) {
  Prng q = Prng::derive(seed, 0x1D5F17);
  w.opaque_ids = chance(q, 25);
  if (chance(q, 20)) {
    if (filter_allowed)
      w.filter_skip_every = static_cast<std::uint64_t>(q.uniform(2, 7));
    else
      q.uniform(2, 7);  // keeps the overlap draw below the same
    if (o != nullptr) o->gaps = model::GapDetection::relaxed;
  } else if (chance(q, 10) && o != nullptr) {
    o->gaps = model::GapDetection::relaxed;
  }
  if (chance(q, 30)) w.resume_overlap = static_cast<std::uint64_t>(q.uniform(1, 3));
  // A lossy server: in a third of the default swarm's filtered streams the
  // policy keeps strict gap detection, so every skipped sequence is an event
  // lost that the client must report.
  if (o != nullptr && w.filter_skip_every >= 2 && chance(q, 33))
    o->gaps = model::GapDetection::strict;
}

// Two thirds of the stops come from inside a delivery callback (Fault::param
// 1: after the application's ack, 2: before it; the driver must take a stop
// asked while it executes effects, and the ack made after it), from a stream
// of their own so that every other draw stays what it was for every seed.
void draw_stops_in_callbacks(std::uint64_t seed, Scenario& s) {
  Prng q = Prng::derive(seed, 0x570BCB);
  for (Fault& f : s.faults)
    if (f.kind == FaultKind::stop) f.param = q.uniform(0, 2);
}

// --- situations: what the worlds above never produced -------------------------
// Each from a PRNG stream of its own (Prng::derive(seed, situation_stream + k)),
// drawn after everything above, so every earlier draw of every seed stays what
// it was and a situation can change without moving the others.
constexpr std::uint64_t situation_stream = 0x5171A700;

Prng situation(std::uint64_t seed, std::uint64_t k) {
  return Prng::derive(seed, situation_stream + k);
}

Fault fault_at(Prng& p, const Scenario& s, FaultKind kind) {
  Fault f{kind};
  f.client = chance(p, 30) ? all_clients : static_cast<std::uint32_t>(p.uniform(0, s.clients - 1));
  f.at_ms = p.uniform(0, s.safety_ms - 1);
  return f;
}

// The server sends something at least every `budget_ms` / 2, and latency
// spreads arrivals by at most `budget_ms` / 4 (fit_world's rule).
void beat_within(WorldParams& w, Ms budget_ms) {
  const Ms every = std::max<Ms>(1, budget_ms / 2);
  w.heartbeat_every_ms = w.heartbeat_every_ms > 0 ? std::min(w.heartbeat_every_ms, every) : every;
  w.latency_ms_max = std::min(w.latency_ms_max, w.latency_ms_min + std::max<Ms>(0, budget_ms / 4));
}

// A connection that resumes from live (after a cursor-too-old resync) hears
// nothing until the server's next send: where the server can stay silent for
// the whole confirm timeout (its events' spacing, doubled when a filter skips
// some, and no heartbeat sooner), no connection could ever be confirmed, and
// the policy would be blamed for the world. fit_world's confirm rule then
// applies. Found by a 1,000,000-seed campaign (seeds 170951 and 449188:
// kanade with a 1 s confirm timeout, events every 2 s or 1.1 s, every other
// one filtered, heartbeats every 27 s or 7.7 s).
void fit_confirm(WorldParams& w, const model::SessionConfig& cfg) {
  const Ms confirm_ms = cfg.connect.confirm_timeout_ms;
  const Ms silence_ms = w.append_every_ms * (w.filter_skip_every > 1 ? 2 : 1);
  const bool beats_in_time = w.heartbeat_every_ms > 0 && w.heartbeat_every_ms < confirm_ms;
  if (confirm_ms > 0 && silence_ms >= confirm_ms && !beats_in_time) beat_within(w, confirm_ms);
}

// A quiet stream: events are rare (one every 5..60 s), heartbeats keep it alive
// (within the heartbeat budget and the confirm timeout).
void draw_quiet(std::uint64_t seed, Scenario& s) {
  Prng p = situation(seed, 0);
  if (!chance(p, 12)) return;
  WorldParams& w = s.world;
  w.append_every_ms = p.uniform(5, 60) * 1000;
  if (w.heartbeat_every_ms == 0) w.heartbeat_every_ms = p.uniform(1, 30) * 1000;
  if (s.config.heartbeat) beat_within(w, s.config.heartbeat->budget_ms());
  if (s.config.connect.confirm_timeout_ms > 0) beat_within(w, s.config.connect.confirm_timeout_ms);
}

// The server opens the stream before it answers (gRPC trailers): its 401s (and
// 410s, 429s, 5xx) reach a client that is confirming the connection. Needs a
// confirm timeout; comes with tokens that expire, where the server checks them.
void draw_status_after_open(std::uint64_t seed, Scenario& s) {
  Prng p = situation(seed, 1);
  if (!chance(p, 10)) return;
  if (s.config.connect.confirm_timeout_ms == 0)
    s.config.connect.confirm_timeout_ms = p.uniform(1, 10) * 1000;
  beat_within(s.world, s.config.connect.confirm_timeout_ms);
  s.world.status_after_open = true;
  if (s.config.auth.has_provider) s.world.auth = true;
  if (!s.world.auth) return;
  for (std::int64_t n = p.uniform(1, 4); n > 0; --n)
    s.faults.push_back(fault_at(p, s, FaultKind::token_expiry));
}

// 5xx answers with Retry-After (honoured for 503 only), and a few 5xx windows.
void draw_error_hints(std::uint64_t seed, Scenario& s) {
  Prng p = situation(seed, 2);
  if (!chance(p, 15)) return;
  s.world.server_error_retry_after_ms = p.uniform(1, 120) * 1000;
  constexpr std::array<std::int64_t, 5> statuses{503, 503, 503, 500, 504};
  for (std::int64_t n = p.uniform(1, 3); n > 0; --n) {
    Fault f = fault_at(p, s, FaultKind::server_errors);
    f.duration_ms = p.uniform(100, 30000);
    f.param = statuses[static_cast<std::size_t>(p.uniform(0, 4))];
    s.faults.push_back(f);
  }
}

// The link flaps: a burst of link-up events (NetworkRestored), each after a
// short partition or none at all (an interface that comes up again), while the
// client backs off, connects, confirms, refreshes or streams.
void add_flaps(Prng& p, Scenario& s) {
  s.world.notify_network_restored = true;
  const Ms center = p.uniform(0, s.safety_ms - 1);
  for (std::int64_t n = p.uniform(2, 12); n > 0; --n) {
    Fault f = fault_at(p, s, chance(p, 50) ? FaultKind::partition : FaultKind::partition_to_server);
    if (chance(p, 50)) f.at_ms = std::min(s.safety_ms - 1, center + p.uniform(0, 10000));
    f.duration_ms = chance(p, 50) ? 0 : p.uniform(1, 1500);
    s.faults.push_back(f);
  }
}

// Give up after an outage: a short limit (1..10 s, often reached) or a long
// one; in half of them the link flaps too (a link-up during a backoff that has
// outlived the limit ends the session at once).
void draw_outage_give_up(std::uint64_t seed, Scenario& s) {
  Prng p = situation(seed, 3);
  if (!chance(p, 10)) return;
  s.config.give_up.outage_ms_max =
      chance(p, 50) ? p.uniform(1, 10) * 1000 : p.uniform(10, 180) * 1000;
  if (chance(p, 50)) add_flaps(p, s);
}

void draw_link_flaps(std::uint64_t seed, Scenario& s) {
  Prng p = situation(seed, 4);
  if (chance(p, 15)) add_flaps(p, s);
}

// Opaque ids near the client's limit (io::DriverOptions::id_bytes_max: the
// default, model::Token::capacity, or a lower one), and now and then over it:
// the session must end Failed{unrecoverable} at the first such id.
void draw_long_ids(std::uint64_t seed, Scenario& s) {
  Prng p = situation(seed, 5);
  if (!chance(p, 8)) return;
  s.world.opaque_ids = true;
  s.world.id_bytes_max = chance(p, 50) ? 0 : static_cast<std::uint64_t>(p.uniform(16, 1024));
  const auto limit = static_cast<std::int64_t>(s.world.id_bytes_max > 0 ? s.world.id_bytes_max
                                                                        : model::Token::capacity);
  s.world.id_bytes =
      static_cast<std::uint64_t>(chance(p, 25) ? limit + p.uniform(1, 2) : limit - p.uniform(0, 2));
}

// Jitter the presets never use: decorrelated (the previous delay's multiple)
// and equal.
void draw_jitter(std::uint64_t seed, Scenario& s) {
  Prng p = situation(seed, 6);
  if (chance(p, 12))
    s.config.backoff.jitter = model::JitterKind::decorrelated;
  else if (chance(p, 4))
    s.config.backoff.jitter = model::JitterKind::equal;
}

// A replay-only session: mostly against a replay that ends (then it stops with
// replay_complete), else a log that never does.
void draw_replay_only(std::uint64_t seed, Scenario& s) {
  Prng p = situation(seed, 7);
  if (!chance(p, 6)) return;
  s.config.resume.mode = model::StreamMode::replay_only;
  if (chance(p, 80))
    s.world.replay_end_sequence = static_cast<std::uint64_t>(
        p.uniform(1, std::max<std::int64_t>(1, s.safety_ms * 3 / 2 / s.world.append_every_ms)));
}

// How a session with a slow credential source ends while a refresh is out
// (in 80 % of them): a cursor too old after an outage, said in band (the
// session opens, asks the refresh that fell due during the outage, and fails
// with it out; the credential source is down too, now and then; no give-up
// limit ends it before), a give-up limit, or the terminal refresh policy.
void draw_end_with_refresh_out(Prng& p, Scenario& s) {
  WorldParams& w = s.world;
  const std::int64_t ending = p.uniform(0, 9);
  if (ending < 3) {
    s.config.resume.too_old = model::TooOldPolicy::fail;
    s.config.give_up = {};
    w.retention_ms = p.uniform(5, 30) * 1000;
    w.too_old_in_band = chance(p, 80);
    w.notify_network_restored = true;  // the host says when the link is back: reconnect at once
    Fault f = fault_at(p, s, FaultKind::partition);
    f.duration_ms = w.retention_ms + p.uniform(1, 30) * 1000;
    s.faults.push_back(f);
    w.token_lifetime_ms = std::min(w.token_lifetime_ms, std::max<Ms>(10000, f.duration_ms * 2));
    if (chance(p, 50)) {
      const Fault down{FaultKind::refresh_failing, f.client,
                       std::max<Ms>(0, f.at_ms + f.duration_ms - 5000), p.uniform(10, 60) * 1000,
                       0};
      if (down.at_ms < s.safety_ms) s.faults.push_back(down);
    }
  } else if (ending < 5) {
    s.config.give_up.attempts_max = static_cast<std::uint32_t>(p.uniform(2, 6));
  } else if (ending < 7) {
    s.config.give_up.outage_ms_max = p.uniform(1, 8) * 1000;
  } else if (ending < 8) {
    s.config.auth.on_refresh_failure = model::RefreshFailure::terminal;
  }
}

// A slow, failing credential source: refreshes take up to half the refresh
// timeout (the policy's own assumption, as fit_world keeps it), or, in a
// quarter of them, 1 to 1.5 times the timeout: every refresh then answers
// after its timeout, and the session must still stream with the late answers
// (docs/simulation.md, "Situations"). Tokens are short-lived, so proactive
// refreshes are often in flight when a stream ends or the session does, and
// refreshes, tokens and the store fail now and then.
void draw_slow_credentials(std::uint64_t seed, Scenario& s) {
  Prng p = situation(seed, 8);
  if (!chance(p, 20) || !s.config.auth.has_provider) return;
  WorldParams& w = s.world;
  s.config.auth.refresh_timeout_ms = p.uniform(1, 30) * 1000;
  // The one worker runs saves and refreshes in order: a slow store (a save
  // under way when a 401 comes) delays the refresh behind it, and the two
  // together still answer within half the timeout.
  const Ms half_ms = (s.config.auth.refresh_timeout_ms - 1) / 2;
  if (chance(p, 50))
    w.store_write_ms = std::max<Ms>(w.store_write_ms, half_ms * p.uniform(10, 40) / 100);
  w.refresh_ms = std::max<Ms>(1, (half_ms - w.store_write_ms) * p.uniform(20, 100) / 100);
  w.auth = true;
  w.token_lifetime_ms = p.uniform(10, 120) * 1000;
  w.app_knows_expiry = chance(p, 80);
  // Streams end often, so that refreshes are out when they do...
  if (chance(p, 50)) w.connection_ms_max = p.uniform(5, 60) * 1000;
  for (std::int64_t n = p.uniform(0, 4); n > 0; --n)
    s.faults.push_back(fault_at(p, s, FaultKind::reset));
  // ... and the next connection may take a while to confirm (few events).
  if (chance(p, 40)) {
    if (s.config.connect.confirm_timeout_ms == 0)
      s.config.connect.confirm_timeout_ms = p.uniform(2, 10) * 1000;
    w.append_every_ms = p.uniform(2, 20) * 1000;
    beat_within(w, s.config.connect.confirm_timeout_ms);
  }
  for (std::int64_t n = p.uniform(1, 4); n > 0; --n) {
    Fault f = fault_at(p, s, FaultKind::refresh_failing);
    f.duration_ms = p.uniform(5, 90) * 1000;
    s.faults.push_back(f);
  }
  for (std::int64_t n = p.uniform(0, 3); n > 0; --n)
    s.faults.push_back(fault_at(p, s, FaultKind::token_expiry));
  // A failing store keeps retrying its save, whatever the session is doing.
  for (std::int64_t n = p.uniform(1, 2); n > 0; --n) {
    Fault f = fault_at(p, s, FaultKind::store_failing);
    f.duration_ms = p.uniform(20, 120) * 1000;
    s.faults.push_back(f);
  }
  draw_end_with_refresh_out(p, s);
  // Drawn last, so the draws above stay what they were for every seed.
  if (chance(p, 25)) w.refresh_ms = s.config.auth.refresh_timeout_ms * p.uniform(100, 150) / 100;
}

// The application stops its sessions at any moment: before the first
// connection (while the checkpoint and the first credentials load), or
// whatever the session is doing.
void draw_stops(std::uint64_t seed, Scenario& s) {
  Prng p = situation(seed, 9);
  if (!chance(p, 10)) return;
  for (std::uint32_t i = 0; i < s.clients; ++i) {
    if (!chance(p, 60)) continue;
    Fault f{FaultKind::stop, i};
    f.at_ms = chance(p, 30) ? std::min(s.safety_ms - 1, p.uniform(0, s.world.refresh_ms + 50))
                            : p.uniform(0, s.safety_ms - 1);
    s.faults.push_back(f);
  }
}

// Id resets: opaque ids reset mid-stream (an empty SSE `id:`, then events with
// no id field), in blocks of 1..8 events, so that a reconnect often comes
// while the stream's last event id is reset: it must resume by the sequence
// alone, presenting no stale id (the model mutant cursor-stale-token-kept).
void draw_id_resets(std::uint64_t seed, Scenario& s) {
  Prng p = situation(seed, 10);
  if (!chance(p, 8)) return;
  s.world.opaque_ids = true;
  s.world.id_reset_every = static_cast<std::uint64_t>(p.uniform(1, 8));
}

// The application's lifecycle: it pauses and resumes the session (an app
// going to the background), tells it the network changed (now and then after
// the old interface's connection went silently dead), or asks a restart, at
// any moment: while it loads, connects, streams, backs off, refreshes, or is
// paused.
void draw_lifecycle(std::uint64_t seed, Scenario& s) {
  Prng p = situation(seed, 11);
  if (!chance(p, 20)) return;
  for (std::int64_t n = p.uniform(1, 8); n > 0; --n) {
    const std::int64_t roll = p.uniform(0, 9);
    const FaultKind kind = roll < 4   ? FaultKind::pause
                           : roll < 7 ? FaultKind::network_changed
                                      : FaultKind::restart;
    Fault f = fault_at(p, s, kind);
    // A fifth while the first checkpoint and credentials load (Idle).
    if (chance(p, 20)) f.at_ms = std::min(s.safety_ms - 1, p.uniform(0, s.world.refresh_ms + 50));
    if (kind == FaultKind::pause)
      f.duration_ms = chance(p, 30) ? p.uniform(0, 500) : p.uniform(500, 60000);
    if (kind == FaultKind::network_changed) f.param = chance(p, 50) ? 1 : 0;
    s.faults.push_back(f);
  }
}

void draw_situations(std::uint64_t seed, Scenario& s) {
  const std::size_t faults_before = s.faults.size();
  draw_quiet(seed, s);
  draw_status_after_open(seed, s);
  draw_error_hints(seed, s);
  draw_outage_give_up(seed, s);
  draw_link_flaps(seed, s);
  draw_long_ids(seed, s);
  draw_jitter(seed, s);
  draw_slow_credentials(seed, s);
  draw_stops(seed, s);
  draw_id_resets(seed, s);
  draw_lifecycle(seed, s);
  draw_replay_only(seed, s);  // last: its end depends on the append rate
  if (s.faults.size() != faults_before)
    std::stable_sort(s.faults.begin(), s.faults.end(),
                     [](const Fault& a, const Fault& b) { return a.at_ms < b.at_ms; });
}

// tether-watch's output instead of the builtin application in 30% of the
// seeds whose policy commits on ack (tether-watch refuses any other), from a
// stream of its own.
void draw_application(std::uint64_t seed, WorldParams& w, const model::SessionConfig& policy) {
  Prng q = Prng::derive(seed, 0x7E7A7C);
  w.tether_watch = chance(q, 30) && policy.resume.commit == model::CommitPolicy::on_ack;
}

}  // namespace

Scenario swarm_scenario(std::uint64_t seed) {
  Scenario s = swarm_scenario_base(seed);
  draw_situations(seed, s);
  return s;
}

Scenario swarm_scenario_base(std::uint64_t seed) {
  Prng p = Prng::derive(seed, 0x5A12A1);
  Scenario s;
  s.seed = seed;
  const auto all = model::presets::all();
  const auto& named =
      all[static_cast<std::size_t>(p.uniform(0, static_cast<std::int64_t>(all.size()) - 1))];
  s.label = std::string(named.name);
  Overrides overrides = draw_overrides(p, named.make().heartbeat.has_value());
  const auto cfg = make_config(s.label, overrides).value();
  s.clients = static_cast<std::uint32_t>(p.uniform(1, 3));
  s.safety_ms = p.uniform(30, 180) * 1000;
  s.world = draw_world(p, cfg);
  // A filtered stream mostly comes with relaxed gaps (a variation of the
  // preset); else it is a lossy server under strict detection.
  draw_ids_and_filters(seed, s.world, true, &overrides);
  draw_faults(p, s, cfg);
  draw_stops_in_callbacks(seed, s);
  s.config = make_config(s.label, overrides).value();
  fit_confirm(s.world, s.config);
  draw_application(seed, s.world, s.config);
  return s;
}

Scenario swarm_scenario(std::uint64_t seed, const model::SessionConfig& policy) {
  Prng p = Prng::derive(seed, 0x90C1C7);
  Scenario s;
  s.seed = seed;
  s.label = "custom";
  s.config = policy;
  s.clients = static_cast<std::uint32_t>(p.uniform(1, 3));
  s.safety_ms = p.uniform(30, 180) * 1000;
  s.world = draw_world(p, policy);
  fit_world(s.world, policy);
  // The policy's gap detection is the policy's: a filtered stream only where
  // it already tolerates one.
  draw_ids_and_filters(seed, s.world, policy.resume.gaps == model::GapDetection::relaxed, nullptr);
  draw_faults(p, s, policy);  // half_open only with a heartbeat; auth faults only in auth worlds
  draw_stops_in_callbacks(seed, s);
  draw_application(seed, s.world, policy);
  // A replay-only policy mostly meets a replay that ends (somewhere in the first
  // one and a half safety phases' worth of events), else a log that never does.
  if (policy.resume.mode == model::StreamMode::replay_only) {
    Prng r = Prng::derive(seed, 0x2E9A1E);
    if (chance(r, 80))
      s.world.replay_end_sequence = static_cast<std::uint64_t>(
          r.uniform(1, std::max<std::int64_t>(1, s.safety_ms * 3 / 2 / s.world.append_every_ms)));
  }
  return s;
}

}  // namespace tether::sim
