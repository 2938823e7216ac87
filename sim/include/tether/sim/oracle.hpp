#pragma once
// The session world's oracle: judges a run against the guarantees of
// docs/guarantees.md. Each rule is written once, in one of two places:
//
// - The streaming-session reference (sim::SessionReference,
//   <tether/sim/reference/session.hpp>, library tether::sim_reference) judges
//   every reducer step of every process lifetime of every client from the
//   events and effects alone (each finding's sim::Guarantee in parentheses):
//   backoff bounds and the failure count (backoff_bounds), give-up at the
//   limit and due attempts (liveness), the retry budget, connect, save and
//   refresh pacing and the Tick contract (rate), one refresh per 401
//   (auth_refresh), checkpoints never backwards nor ahead of the commit
//   policy, one save in flight, batching by count and on Ticks (checkpoint),
//   no duplicate (no_duplicate), gaps told under strict detection and never
//   invented, frames released once, resume from the last position or the
//   cursor-too-old policy's place (no_silent_gap), nothing after the end and
//   the flush of what the session was fed (stop), timeouts when due
//   (half_open). The model's property tests and the fuzz target run the same
//   reference. Its findings carry their rule's name (session_rules).
//
// - This oracle keeps only what needs the world's truth, reported with no
//   rule name: what the server streamed (a filtered stream; under relaxed
//   detection every streamed sequence reaches the application or a
//   cursor-too-old gap covers it: no_silent_gap), what the application acked
//   and stopped (the driver feeds no ack beyond the application's and flushes
//   what it acked: checkpoint, stop; a stop is taken before anything else
//   happens: stop), what the store made durable (a restart never loads less:
//   checkpoint; a flushed checkpoint becomes durable: stop; a batch is due
//   from the store's truth, as time passes, so a timer the driver never fires
//   is caught: checkpoint), which credentials the auth source handed out (an
//   attempt carries the newest: auth_refresh), the ids the server sent over
//   the client's limit (the only cause of Failed{unrecoverable}, and such a
//   frame never reaches the session: liveness, no_silent_gap), half-open
//   links as time passes, suspensions included (half_open), and liveness at
//   the end of the healed period (liveness).
//
// It reads the reducer's phase only for liveness (is the client streaming?)
// and to judge whether a terminal state had a cause in the world. The
// driver (io::Driver) is judged by the world's truth, never by the events it
// feeds (an ack it invents, a stop it loses, a save completion it misnames
// would look consistent from the events alone).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <tether/model/session.hpp>
#include <tether/sim/agenda.hpp>
#include <tether/sim/violation.hpp>
#include <vector>

namespace tether::sim {

class Server;

// One reducer step of one client, after its effects were executed. It carries
// the phase before, not the state before: io::Driver keeps only the phase
// (the reducer steps in place, so the whole state before would be a copy per
// step), and the reference needs no more: it sees every step of a lifetime,
// so the state after one step is the state before the next.
struct StepView {
  std::uint32_t client;
  Ms now;
  const model::Event& event;
  std::uint64_t event_connection;  // the connection the event belonged to (0: none)
  const model::Phase& before;
  const model::State& after;
  const model::Effects& effects;
  std::uint64_t connection_after;  // the client's connection now (0: none)
};

class Oracle {
 public:
  // run: every lifetime's steps also go to a SessionReference (the world's
  // runs); world_only: this oracle's own rules alone (its unit tests, which
  // feed hand-made steps no real session would take).
  enum class References : std::uint8_t { run, world_only };
  Oracle(const model::SessionConfig& config, std::uint32_t clients,
         References references = References::run);
  ~Oracle();
  Oracle(Oracle&&) noexcept;
  Oracle& operator=(Oracle&&) noexcept;

  // A process lifetime begins: Started is about to be fed with `loaded` (a new
  // SessionReference judges the lifetime's steps).
  void process_started(std::uint32_t client, Ms now, const std::optional<model::Cursor>& loaded);
  // Started comes to a lifetime that began before it (a pause while the
  // checkpoint loaded): the lifetime goes on, and deliveries resume after
  // `loaded`.
  void process_loaded(std::uint32_t client, const std::optional<model::Cursor>& loaded);
  void process_crashed(std::uint32_t client, Ms now);
  // A process loaded `loaded` from its store at start: never older than a
  // checkpoint the store made durable (Guarantee::checkpoint).
  void checkpoint_loaded(std::uint32_t client, Ms now, const std::optional<model::Cursor>& loaded);
  void suspended(std::uint32_t client, Ms until_ms);
  // The store made a checkpoint durable.
  void checkpoint_durable(std::uint32_t client, Ms now, const model::Cursor& cursor);

  // What the application asked of its session (the world's truth, told as the
  // call is made, before the driver acts on it): the driver must feed the
  // session no ack beyond the application's (Guarantee::checkpoint), commit
  // and flush what it acked (checkpoint and stop), and take a stop before
  // anything else happens to the client (stop), also one asked from inside a
  // callback.
  void application_acked(std::uint32_t client, Ms now, std::uint64_t delivery_id);
  void application_stopped(std::uint32_t client, Ms now);
  // The auth source gave this process lifetime credentials `token`; an attempt
  // carried `token`: it must carry the newest given (Guarantee::auth_refresh),
  // never a refresh's predecessor.
  void credentials_issued(std::uint32_t client, Ms now, std::uint64_t token);
  void credentials_sent(std::uint32_t client, Ms now, std::uint64_t token);

  void step(const StepView& step);
  // A filtered stream: sequences divisible by `skip_every` (>= 2) are never
  // streamed, so under relaxed detection skipping them is no gap (under strict
  // detection they are gaps to report: the reference's rule), and the head to
  // catch up with is the last streamed sequence.
  void set_filter(std::uint64_t skip_every);
  // A finite replay ending at `sequence` (0: none): a client caught up to it has
  // nothing more to get, and Stopped{replay_complete} is a cause the world gave
  // once it sent ReplayFinished (in replay_only mode).
  void set_replay_end(std::uint64_t sequence);
  // The server sent `client`, on `connection`, event `sequence` with an id
  // longer than the client's limit (io::DriverOptions::id_bytes_max): the
  // session must end Failed{unrecoverable} there (a cause the world gave, and
  // the only one for that reason), and neither that frame nor a later one on
  // the connection may reach the reducer.
  void oversized_id_sent(std::uint32_t client, std::uint64_t connection, std::uint64_t sequence);
  // Continuous checks that need no event (half-open detection); call whenever
  // virtual time moves.
  void time_passed(Ms now);
  // Liveness at the end of the liveness phase: every client streaming (or
  // ended for a cause the world gave it) and caught up with the server's head
  // as of `caught_up_at_ms`.
  void check_liveness(Ms now, const Server& server, Ms caught_up_at_ms,
                      const std::vector<const model::State*>& states);
  // End of run: every stopped client's flushed checkpoint is durable.
  void finish(Ms now);

  const std::vector<Violation>& violations() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tether::sim
