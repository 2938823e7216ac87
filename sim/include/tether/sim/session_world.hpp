#pragma once
// The session world: a fleet of streaming sessions (<tether/model/session.hpp>)
// against one simulated server, each behind its own simulated network, in
// virtual time. run_session runs one scenario (<tether/sim/scenario.hpp>) in it.
//
// The driver loop: take the next item of the agenda (a world happening, a
// fault edge, an input for a session, or a Tick at a session's next_deadline),
// jump virtual time to it, feed the session, execute every effect in order as
// the application would (Connect -> the server answers after a round trip;
// Deliver -> the app records it and acks after a delay; SaveCheckpoint -> the
// store write completes after a delay, then CheckpointSaved; RefreshAuth ->
// AuthRefreshed / AuthRefreshFailed after a delay; CloseConnection; reports ->
// recorded), and let the oracle judge the step. Inputs bound to a connection
// that is closed, or to a process that crashed, are dropped.
//
// Phases: safety [0, safety_ms) with the fault timeline, then liveness (faults
// healed, no clean closes) until the liveness bound, where every client must be
// streaming and caught up; then every session is stopped and the run ends once
// the flushes are durable.

#include <cstdint>
#include <string>
#include <string_view>
#include <tether/io/driver.hpp>
#include <tether/model/effect.hpp>
#include <tether/model/event.hpp>
#include <tether/model/session.hpp>
#include <tether/model/state.hpp>
#include <tether/model/status.hpp>
#include <tether/sim/client_code.hpp>
#include <tether/sim/oracle.hpp>
#include <tether/sim/scenario.hpp>
#include <tether/sim/trace.hpp>
#include <vector>

namespace tether::sim {

// The reducer the run drives. Always model::transition_in_place except in the
// mutation tests (tests/sim/mutation.cpp), which wrap it in deliberately broken
// variants to prove the oracle catches them.
using Reducer = io::Reducer;

struct RunOptions {
  Reducer reducer = &model::transition_in_place;
  // A deliberate driver defect (io::DriverMutant), for the mutation check only.
  io::DriverMutant driver_mutant = io::DriverMutant::none;
  bool keep_trace_text = false;
  bool check_determinism = false;         // run twice; a hash mismatch is a guarantee-9 violation
  std::uint64_t events_max = 20'000'000;  // a limit on everything: beyond it the run stops
  // The application every simulated process runs, and its invariants
  // (<tether/sim/client_code.hpp>); empty: builtin_client_code.
  ClientCodeFactory client_code;
};

// What one client did, for tests that assert outcomes.
struct ClientReport {
  std::string_view final_phase;
  std::vector<Ms> connect_at_ms;
  std::vector<std::pair<Ms, model::Status>> statuses;
  std::vector<std::pair<Ms, model::ReportGap>> gaps;
  std::uint64_t deliveries = 0;
  std::uint64_t redeliveries = 0;  // deliveries of a sequence an earlier lifetime got
  std::uint64_t duplicates_discarded = 0;
  std::uint64_t refresh_rejected = 0;
  std::uint64_t refresh_expiring = 0;
  std::vector<Ms> refresh_at_ms;    // every RefreshAuth, either cause
  std::uint64_t last_sequence = 0;  // last delivered
  std::uint64_t durable_sequence = 0;
  std::uint64_t writes_torn = 0;  // checkpoint writes torn by a torn_write crash
  std::uint64_t diagnostics = 0;  // io::Diagnostic messages the driver gave the application
  // WorldParams::request_hook: the hook's calls, its failures, the requests
  // that reached the server with its header, and those that came without it.
  std::uint64_t hook_calls = 0;
  std::uint64_t hook_failures = 0;
  std::uint64_t hooked_requests = 0;
  std::uint64_t unhooked_requests = 0;
};

struct RunResult {
  std::uint64_t trace_hash = 0;
  std::uint64_t events = 0;  // reducer steps
  std::vector<Violation> violations;
  Coverage coverage;
  std::string trace;  // RunOptions::keep_trace_text only
  Ms end_ms = 0;
  Ms liveness_check_ms = 0;
  std::uint64_t server_head = 0;
  std::vector<ClientReport> clients;
  std::string error;  // the scenario could not run (an invalid configuration or world)

  bool ok() const { return error.empty() && violations.empty(); }
};

RunResult run_session(const Scenario& scenario, const RunOptions& options = {});

// "g<n> c<client> @<ms>: <message>" for each violation, one per line.
std::string describe(const RunResult& result);

}  // namespace tether::sim
