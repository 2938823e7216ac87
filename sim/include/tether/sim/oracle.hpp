#pragma once
// The oracle: judges a run against the ten guarantees (docs/guarantees.md) from what
// the world knows (what the server logged, what each application received and
// acked, what each store holds), never by asking the reducer's own helpers (but
// the jitter table, model::jitter_envelope: one rule, not a second copy).
// It reads the reducer's phase only for liveness (is the client streaming?) and
// to judge whether a terminal state had a cause in the world.
//
// Guarantee 4 as checked here: the oracle counts consecutive failed attempts
// itself, from the world's events (a failure counts one more; the end of a
// stream that proved healthy and was not a short session resets the run: it
// counts 1, or 0 for a clean close; a 401 -> refresh -> reconnect is no failure;
// a failed refresh counts; a cursor-too-old resync counts like a stream end),
// and the failure count a backoff reports must equal it. Every backoff the
// session enters lies within [lo, hi], where for the oracle's own count n,
// lo/hi are model::jitter_envelope(policy, n), the one jitter rule (backoff.hpp;
// its table is pinned by tests/model/backoff.cpp and, through this oracle, by
// tests/sim/oracle.cpp) (clean_close_delay for n = 0), lo raised to the
// short-session floor when the ending connection was open less than
// short_session_ms, both raised by a Retry-After answer (clamped to hint_ms_max),
// hi raised to the floor, and hi widened by one token refill when a retry
// budget is on. And no Connect comes before the backoff's end.
//
// Guarantee 10 (rate: no operation is retried faster than its policy), at
// every step, from the world's events and the config alone: no SaveCheckpoint
// before checkpoint_retry_ms_min * 2^(n-1) (capped at checkpoint_retry_ms_max)
// after the n-th consecutive failure of the newest requested save, but the
// final flush of a step that ends the session; no RefreshAuth after a failed
// (or timed-out) refresh until a Connect (but the reactive refresh of a 401
// answering the attempt that was in flight then), nor while another is in
// flight (a proactive refresh answers a 401 that comes meanwhile); no
// Connect while the previous attempt is open, nor (after a lifetime's first)
// without a backoff entered since the previous one, but the retry that answers
// an AuthRefreshed.
//
// As strict as the model's property oracle (tests/support/session_oracle.cpp),
// in the world's terms: the retry budget throttles (an exact token bucket: every
// attempt after a failure takes a whole token; guarantee 10); a cursor-too-old
// resync resumes from where resume.too_old says, the oldest retained event or
// live (guarantee 1); a ReportGap names only what the world lost (guarantee 1);
// give-up happens at attempts_max or outage_ms_max, not after nor before
// (guarantee 7); time-based batching saves within checkpoint_every_ms
// (guarantee 3).
//
// The driver (io::Driver) is judged by the same truth: what the application
// acked and stopped (application_acked, application_stopped) and what the
// store holds durably (checkpoint_durable), never by the events the driver
// feeds (an ack it invents, a stop it loses, a save completion it misnames
// would look consistent from the events alone).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <tether/model/session.hpp>
#include <tether/sim/agenda.hpp>
#include <tether/sim/violation.hpp>

namespace tether::sim {

class Server;

// One reducer step of one client, after its effects were executed.
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
  Oracle(const model::SessionConfig& config, std::uint32_t clients);
  ~Oracle();
  Oracle(Oracle&&) noexcept;
  Oracle& operator=(Oracle&&) noexcept;

  // A process lifetime begins: Started is about to be fed with `loaded`.
  void process_started(std::uint32_t client, Ms now, const std::optional<model::Cursor>& loaded);
  void process_crashed(std::uint32_t client, Ms now);
  // A process loaded `loaded` from its store at start: never older than a
  // checkpoint the store made durable (guarantee 3).
  void checkpoint_loaded(std::uint32_t client, Ms now, const std::optional<model::Cursor>& loaded);
  void suspended(std::uint32_t client, Ms until_ms);
  // The store made a checkpoint durable.
  void checkpoint_durable(std::uint32_t client, Ms now, const model::Cursor& cursor);

  // What the application asked of its session (the world's truth, told as the
  // call is made, before the driver acts on it): the driver must feed the
  // session no ack beyond the application's (guarantee 3), commit and flush
  // what it acked (guarantees 3 and 6), and take a stop before anything else
  // happens to the client (guarantee 6), also one asked from inside a callback.
  void application_acked(std::uint32_t client, Ms now, std::uint64_t delivery_id);
  void application_stopped(std::uint32_t client, Ms now);
  // The auth source gave this process lifetime credentials `token`; an attempt
  // carried `token`: it must carry the newest given (guarantee 5), never a
  // refresh's predecessor.
  void credentials_issued(std::uint32_t client, Ms now, std::uint64_t token);
  void credentials_sent(std::uint32_t client, Ms now, std::uint64_t token);

  void step(const StepView& step);
  // A filtered stream: sequences divisible by `skip_every` (>= 2) are never
  // streamed, so skipping them is no gap and the head to catch up with is the
  // last streamed sequence.
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
