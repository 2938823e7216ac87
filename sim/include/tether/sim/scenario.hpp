#pragma once
// A scenario is data: a full session configuration (every field, run exactly as
// written), a seed, a fleet size, the phase durations, the world's parameters
// and an explicit fault timeline. Nothing in it depends on the order of PRNG
// calls, so a scenario written down (a JSON file, scenario_json.hpp) replays the
// same way after code changes.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tether/model/config.hpp>
#include <tether/sim/agenda.hpp>
#include <vector>

namespace tether::sim {

// The older, narrower way to state a configuration: changes applied to a named
// preset (unset fields keep the preset's value). Scenario files written before
// tether-config/1 use it ("preset" + "overrides"), and the default swarm draws
// its variations as Overrides; everything else takes a full SessionConfig.
struct Overrides {
  std::optional<std::int64_t> heartbeat_interval_ms;  // 0 removes half-open detection
  std::optional<std::int64_t> heartbeat_slack_ms;
  std::optional<std::int64_t> confirm_timeout_ms;
  std::optional<model::CommitPolicy> commit;
  std::optional<std::uint32_t> checkpoint_every_events;
  std::optional<std::int64_t> checkpoint_every_ms;
  std::optional<model::TooOldPolicy> too_old;
  std::optional<bool> auth_provider;
  std::optional<model::RefreshFailure> on_refresh_failure;
  std::optional<std::uint32_t> give_up_attempts_max;
  std::optional<std::uint32_t> budget_tokens_max;
  std::optional<std::int64_t> budget_refill_ms_per_token;
  std::optional<std::int64_t> delay_ms_max;
  std::optional<model::GapDetection> gaps;  // relaxed: needed with a filtered stream
};

// The preset `name` (model::presets::all()) with `overrides` applied; nullopt
// if no preset has that name. The resume start is sequence 0 (the whole log).
std::optional<model::SessionConfig> make_config(std::string_view preset,
                                                const Overrides& overrides);

// A default-constructed Scenario's configuration: make_config("aviso", {}).
model::SessionConfig default_config();

enum class FaultKind : std::uint8_t {
  // network, per client (or all clients)
  partition,            // both ways: connects are lost; open streams stall until the end
  partition_to_server,  // client -> server lost: connects are lost; open streams flow
  partition_to_client,  // server -> client lost: answers and bytes stall until the end
  half_open,            // open (and newly opened) connections go silent forever, no error
  reset,                // the open connection is reset now (duration unused)
  loss,                 // each connect is lost with probability param / 1000
  slow_link,            // param ms of extra latency
  // server (client field unused)
  server_restart,   // connections drop; down (refusing) for duration; param 1: history lost
  rate_limit,       // connects answered 429, Retry-After param ms (0: none)
  server_errors,    // connects answered with HTTP status param (500, 502, 503, ...)
  auth_revoked,     // every connect answered 401, even with fresh credentials
  token_expiry,     // the client's current token expires now (duration unused)
  refresh_failing,  // auth refreshes fail
  // client process
  store_failing,  // checkpoint writes fail (CheckpointSaveFailed)
  crash,          // kill -9: a save under way dies at a random step; restarts after duration
  suspend,        // the host sleeps for duration: nothing of this client runs
  stop,           // the application stops the session (duration unused); param 1: from
                  // inside its next delivery callback, after acking it; param 2: there,
                  // before acking it (the driver takes both, in the order made, once the
                  // step's effects have run; the ack is applied before the stop)
  torn_write,     // a power loss: as crash, and the disk keeps only what was durable,
                  // tearing unsynced bytes; restarts after duration; param unused
  // the application's lifecycle (io::Driver::pause/resume/network_changed/restart)
  pause,            // the application pauses the session for duration, then resumes it
  network_changed,  // the host's network changed (duration unused); param 1: the open
                    // connection went silently dead with the old interface first
  restart,          // the application asks for a new connection (duration unused)
};
inline constexpr std::size_t fault_kind_count = 21;
// Server faults act on the world, whatever their client field says.
constexpr bool is_server_fault(FaultKind kind) {
  return kind == FaultKind::server_restart || kind == FaultKind::rate_limit ||
         kind == FaultKind::server_errors || kind == FaultKind::auth_revoked;
}
std::string_view name_of(FaultKind kind);

inline constexpr std::uint32_t all_clients = UINT32_MAX;

struct Fault {
  FaultKind kind;
  std::uint32_t client = all_clients;  // a client index, or all_clients
  Ms at_ms = 0;
  Ms duration_ms = 0;
  std::int64_t param = 0;  // meaning per kind, see FaultKind
};

// The world's healthy behaviour (faults come on top).
struct WorldParams {
  Ms append_every_ms = 1000;      // the server logs one event this often
  Ms retention_ms = 0;            // events older than this vanish (0: kept forever)
  Ms heartbeat_every_ms = 0;      // server heartbeat on every open stream (0: none)
  Ms connection_ms_max = 0;       // clean close after this long (0: never; safety phase only)
  bool too_old_in_band = false;   // cursor too old: in-band CursorExpired instead of HTTP 410
  bool auth = false;              // the server checks tokens
  Ms token_lifetime_ms = 600000;  // a token issued now expires this much later
  bool app_knows_expiry = true;   // the app passes token expiries to the session
  Ms latency_ms_min = 5;          // one way
  Ms latency_ms_max = 50;
  Ms ack_delay_ms = 0;                   // the application acks each delivery after this long
  Ms store_write_ms = 5;                 // a checkpoint write becomes durable after this long
  Ms refresh_ms = 50;                    // an auth refresh answers after this long
  bool notify_network_restored = false;  // NetworkRestored when a partition of the client ends
  bool opaque_ids = false;  // frames carry ids "<epoch>:<sequence>"; acks and resumes use them
  std::uint64_t resume_overlap = 0;  // a resume by cursor re-sends this many events before it
  // Filtered stream: sequences divisible by it are never streamed (< 2: none).
  // Under relaxed gap detection a filter (no gap); under strict detection
  // events the server lost, each of which the client must report as a gap.
  std::uint64_t filter_skip_every = 0;
  // A finite replay (resume.mode = replay_only only): the server streams up to
  // this sequence, then sends ReplayFinished and ends the stream, also to a
  // connection that resumes past it (0: the log never ends).
  std::uint64_t replay_end_sequence = 0;
  // The server's 5xx answers carry Retry-After: this many ms (0: none). The
  // session honours it for 503 (like 429) and ignores it for 500, 502, 504.
  Ms server_error_retry_after_ms = 0;
  // The server opens the stream (HTTP 200) before it answers the request, and
  // its status (401, 410, 429, 5xx) comes after: gRPC's trailers. A client
  // sees the rejection while it confirms the connection, so this needs
  // config connect.confirm_timeout_ms > 0 (without one the session takes the
  // opening for a stream and ignores the late status: a known limit of the
  // reducer, see docs/simulation.md).
  bool status_after_open = false;
  // Every id the server sends is this many bytes long (the sequence is
  // zero-padded: "<epoch>:000…<sequence>"; 0 or anything shorter than the
  // plain id: the plain id). Only with opaque_ids. May exceed the client's
  // id_bytes_max below, or model::Token::capacity.
  std::uint64_t id_bytes = 0;
  // The client's limit on resume ids (io::DriverOptions::id_bytes_max, the
  // shell's id_bytes_max; 0: the driver's default, model::Token::capacity). A
  // longer id ends the session Failed{unrecoverable}: a truncated id would
  // resume elsewhere, and the server resends the same id on a retry.
  std::uint64_t id_bytes_max = 0;
  // Id resets (only with opaque_ids): the stream alternates blocks of this
  // many events with ids and as many without. An id-less block's first event
  // carries an empty `id:` field, which (SSE) resets the stream's last event
  // id; the rest carry no id field, so it stays reset. The client's resume
  // cursor then holds the sequence alone, and no stale id may be presented
  // again (0: every event carries its id).
  std::uint64_t id_reset_every = 0;
  // The application's request hook (io::RequestHook) on every attempt: it
  // adds an "X-Attempt: <n>" header and completes after a delay drawn from
  // [0, request_hook_delay_ms_max] (past the connect timeout: the attempt is
  // abandoned), failing one attempt in request_hook_fail_every (0: never).
  // The server checks the header on every hooked request.
  bool request_hook = false;
  Ms request_hook_delay_ms_max = 0;
  std::uint64_t request_hook_fail_every = 0;
  // Every process runs tether-watch's output (sim::watch_client_code: JSON
  // lines on a simulated stdout, acked once flushed) instead of the builtin
  // application; needs resume.commit = on_ack, as tether-watch does.
  bool tether_watch = false;
};

struct Scenario {
  // For display only (summaries, trace headers): the preset the configuration
  // started from, or "custom". Nothing reads it to decide anything: the oracle
  // and every bound derive from `config`.
  std::string label = "aviso";
  // The configuration every client runs, exactly. Only `config.seed` is not
  // used: the jitter seed is `fixed_seed` or simulated entropy (below).
  model::SessionConfig config = default_config();
  // The world's master seed: every simulated draw derives from it, including
  // each process lifetime's simulated entropy (from the client index and the
  // lifetime), from which a process seeds its jitter when no seed is fixed.
  std::uint64_t seed = 0;
  // The jitter seed the configuration fixes (tether-config/1 "seed", or
  // "fixed_seed" in a scenario file): every process of the fleet, in every
  // lifetime, seeds its jitter with it, as production does (io::choose_seed,
  // the one seeding rule) — so a fleet sharing one seed reconnects in lockstep
  // here as it would in the field. nullopt (the default): each process draws
  // its own seed.
  std::optional<std::uint64_t> fixed_seed;
  std::uint32_t clients = 1;
  Ms safety_ms = 120000;  // faults happen in [0, safety_ms); all are healed by its end
  Ms liveness_ms = 0;     // 0: the bound derived from the policy (liveness_bound_ms)
  WorldParams world;
  std::vector<Fault> faults;
};

// The time after the safety phase within which every client must be streaming
// and caught up: twice (the largest backoff delay, raised by the short-session
// floor, server hints and the retry budget + the connect timeout + a round trip)
// + the heartbeat budget + the confirm and refresh timeouts + a catch-up margin.
Ms liveness_bound_ms(const model::SessionConfig& config, const Scenario& scenario);

}  // namespace tether::sim
