// The polling reducer's properties: RapidCheck runs random driver scripts with
// the reducer's reference oracle (sim::PollReference, <tether/sim/reference/poll.hpp>,
// the one the poll world judges by too) judging every step; the same events
// give the same effects in place or by value; and the reference catches
// deliberately broken reducers.
//
// Each rc::prop runs RapidCheck's default 100 cases (seed fixed under ctest);
// for a longer hunt:
//   RC_PARAMS="max_success=5000" build/dev/tests/tether_model_tests "[poll][property]"
#include <rapidcheck/catch.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <tether/model/poll/reducer.hpp>
#include <tether/model/presets.hpp>
#include <tether/model/prng.hpp>
#include <tether/sim/reference/poll.hpp>
#include <utility>
#include <variant>
#include <vector>

#include "harness.hpp"
#include "support/event_script.hpp"

namespace presets = tether::model::presets;

namespace {

using Map = std::map<std::string, std::string>;

// "<rule> e<endpoint> @<ms>: <message>", as the poll world prints it.
std::string describe(const tether::sim::Violation& v) {
  return std::string(v.rule) + " e" + std::to_string(v.subject) + " @" + std::to_string(v.at_ms) +
         ": " + v.message;
}

std::string describe(const poll::Event& ev) {
  std::ostringstream o;
  o << "@" << poll::time_of(ev).ms << " ";
  std::visit(
      [&](const auto& e) {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, poll::Started>)
          o << "Started";
        else if constexpr (std::is_same_v<E, poll::StopRequested>)
          o << "StopRequested";
        else if constexpr (std::is_same_v<E, poll::Tick>)
          o << "Tick";
        else if constexpr (std::is_same_v<E, poll::ReceiverGone>)
          o << "ReceiverGone";
        else if constexpr (std::is_same_v<E, poll::PollFailed>)
          o << "PollFailed e" << e.endpoint << " " << e.http_status;
        else {
          o << "PollSucceeded e" << e.endpoint;
          if (!e.snapshot)
            o << " 304";
          else
            for (const poll::Entry& x : e.snapshot->entries()) o << " " << x.key << "=" << x.value;
        }
      },
      ev);
  return o.str();
}

std::string describe(const poll::Effects& fx) {
  std::ostringstream o;
  for (const poll::Effect& x : fx) {
    std::visit(
        [&](const auto& e) {
          using E = std::decay_t<decltype(e)>;
          if constexpr (std::is_same_v<E, poll::Poll>)
            o << " Poll(e" << e.endpoint << (e.retry_in_tick ? ",retry)" : ")");
          else if constexpr (std::is_same_v<E, poll::Added>)
            o << " Added(e" << e.endpoint << "," << e.key << "=" << e.value << ")";
          else if constexpr (std::is_same_v<E, poll::Modified>)
            o << " Modified(e" << e.endpoint << "," << e.key << "=" << e.value << ")";
          else if constexpr (std::is_same_v<E, poll::Removed>)
            o << " Removed(e" << e.endpoint << "," << e.key << ")";
          else if constexpr (std::is_same_v<E, poll::ReportStatus>)
            o << " Status(e" << e.endpoint << ",h" << static_cast<int>(e.status.health) << ","
              << e.status.http_status << ",n" << e.status.failures << ",@"
              << e.status.next_attempt_at.ms << ")";
          else
            o << " Stopped(" << static_cast<int>(e.reason) << ")";
        },
        x);
  }
  return o.str();
}

// A configuration drawn from the choices: a preset, or 1-4 random endpoints.
poll::Config draw_poll_config(tether::test::ChoiceSource& ch) {
  switch (ch.below(4)) {
    case 0:
      return presets::zero_poll();
    case 1:
      return presets::koprs_poll(ch.between(1, 60) * 250);
    default:
      break;
  }
  poll::Config c;
  const auto n = static_cast<std::size_t>(ch.between(1, 4));
  for (std::size_t i = 0; i < n; ++i) {
    poll::Backoff b;
    constexpr double multipliers[] = {1.0, 1.5, 2.0, 3.0};
    b.delay_ms_initial = ch.between(1, 40) * 250;
    b.multiplier = multipliers[ch.below(4)];
    b.delay_ms_max = b.delay_ms_initial * ch.between(1, 64);
    b.jitter = static_cast<model::JitterKind>(ch.below(6));
    b.jitter_fraction = static_cast<double>(ch.below(101)) / 100.0;
    c.endpoints.push_back(
        poll::EndpointConfig{"e" + std::to_string(i), ch.between(1, 60) * 250, b});
  }
  return c;
}

struct Run {
  std::uint64_t seed = 0;  // the session's PRNG seed
  std::vector<poll::Event> events;
  std::string trace;
  std::string violation;  // the reference's first finding, described
  std::string_view rule;  // and its rule
};

// The reducer a run steps: the real one, or a deliberately broken wrapper.
using Transition = poll::Effects (*)(poll::State&, const poll::Event&) noexcept;

// A plausible driver: answers the polls the reducer asked for (successes from a
// keyed state that changes, 304s, every error class), ticks on time, late or
// early, and sometimes sends stray results, stops, or a second Started.
// Each run weighs the kinds differently (swarm testing).
Run run_random(tether::test::ChoiceSource& ch, const poll::Config& config, std::size_t events_max,
               Transition transition = &poll::transition_in_place) {
  Run run;
  tether::sim::PollReference reference(config);
  run.seed = ch.below(1000);
  poll::State state = poll::make(poll_test::seeded(config, run.seed)).value();
  std::uint32_t weights[8];
  for (auto& w : weights) w = static_cast<std::uint32_t>(ch.below(10));
  weights[0] += 1;                       // on-time ticks
  weights[5] = ch.chance(1, 3) ? 1 : 0;  // stop
  weights[6] = ch.chance(1, 3) ? 1 : 0;  // receiver gone
  weights[7] = ch.chance(1, 4) ? 1 : 0;  // stray results and Started
  std::uint32_t outcome_weights[6];
  for (auto& w : outcome_weights) w = static_cast<std::uint32_t>(ch.below(6));
  outcome_weights[0] += 2;
  std::int64_t cadence_max = 0;
  for (const auto& e : config.endpoints) cadence_max = std::max(cadence_max, e.cadence_ms);
  std::vector<Map> server(config.endpoints.size());
  std::vector<std::size_t> outstanding;  // endpoints with a Poll not yet answered
  model::Instant now{ch.between(0, 1000)};
  std::uint64_t version = 0;

  const auto step_with = [&](const poll::Event& ev) {
    const poll::Effects effects = transition(state, ev);
    run.events.push_back(ev);
    run.trace += describe(ev) + " ->" + describe(effects) + "\n";
    if (run.violation.empty()) {
      reference.step(ev, effects, state);
      if (!reference.ok()) {
        run.violation = describe(reference.violations().front());
        run.rule = reference.violations().front().rule;
      }
    }
    for (const poll::Effect& x : effects)
      if (const auto* request = std::get_if<poll::Poll>(&x))
        outstanding.push_back(request->endpoint);
  };

  step_with(poll::Started{now});
  while (run.events.size() < events_max && !ch.exhausted() && run.violation.empty()) {
    const std::size_t kind = ch.weighted(weights);
    const auto deadline = poll::next_deadline(state);
    switch (kind) {
      case 0:  // on time
        now = deadline ? model::latest(now, *deadline) : model::after(now, ch.between(1, 5000));
        step_with(poll::Tick{now});
        break;
      case 1:  // late by up to five cadences
        now = model::after(deadline ? model::latest(now, *deadline) : now,
                           ch.between(1, 5 * cadence_max));
        step_with(poll::Tick{now});
        break;
      case 2:  // whenever
        now = model::after(now, ch.between(0, 2000));
        step_with(poll::Tick{now});
        break;
      case 3:
      case 4: {  // answer a poll
        if (outstanding.empty()) break;
        const std::size_t pick = static_cast<std::size_t>(ch.below(outstanding.size()));
        const std::size_t e = outstanding[pick];
        outstanding.erase(outstanding.begin() + static_cast<std::ptrdiff_t>(pick));
        now = model::after(now, ch.chance(1, 3) ? 0 : ch.between(1, 3000));
        switch (ch.weighted(outcome_weights)) {
          case 0: {  // the keyed state changes a little, then is returned
            Map& s = server[e];
            for (std::int64_t k = ch.between(0, 3); k > 0; --k) {
              const std::string key = "k" + std::to_string(ch.below(8));
              if (ch.chance(1, 3))
                s.erase(key);
              else
                s[key] = "v" + std::to_string(++version);
            }
            std::vector<poll::Entry> entries;
            for (const auto& [k, v] : s) entries.push_back({k, v});
            step_with(poll::PollSucceeded{
                now, e, poll::Snapshot::from_entries(std::move(entries)).value()});
            break;
          }
          case 1:
            step_with(poll::PollSucceeded{now, e, std::nullopt});
            break;
          case 2:
            step_with(poll::PollFailed{now, e,
                                       ch.chance(1, 2) ? std::uint16_t{404} : std::uint16_t{401}});
            break;
          case 3:
            step_with(poll::PollFailed{now, e, 503});
            break;
          default: {
            constexpr std::uint16_t others[] = {0, 200, 400, 403, 429, 500, 502, 504};
            step_with(poll::PollFailed{now, e, others[ch.below(8)]});
            break;
          }
        }
        break;
      }
      case 5:
        step_with(poll::StopRequested{now});
        break;
      case 6:
        step_with(poll::ReceiverGone{now});
        break;
      default:  // strays
        if (ch.chance(1, 3))
          step_with(poll::Started{now});
        else if (ch.chance(1, 2))
          step_with(poll::PollFailed{now, static_cast<std::size_t>(ch.below(6)), 503});
        else
          step_with(
              poll::PollSucceeded{now, static_cast<std::size_t>(ch.below(6)), poll::Snapshot{}});
        break;
    }
  }
  return run;
}

rc::Gen<std::vector<std::uint32_t>> stream(std::size_t length_max) {
  return rc::gen::mapcat(rc::gen::inRange<std::size_t>(0, length_max + 1), [](std::size_t length) {
    return rc::gen::container<std::vector<std::uint32_t>>(length,
                                                          rc::gen::arbitrary<std::uint32_t>());
  });
}

}  // namespace

TEST_CASE("random polling sessions keep every rule after every step", "[poll][property]") {
  rc::prop("presets and random endpoints, swarm-weighted scripts", [] {
    const auto values = *stream(3000);
    tether::test::VectorChoices ch(values);
    const poll::Config config = draw_poll_config(ch);
    const Run run = run_random(ch, config, 400);
    if (!run.violation.empty()) {
      const std::size_t from = run.trace.size() > 4000 ? run.trace.size() - 4000 : 0;
      RC_FAIL(run.violation + "\n..." + run.trace.substr(from));
    }
  });
}

TEST_CASE("polling sessions are deterministic, in place or by value", "[poll][property]") {
  rc::prop("replaying the events gives the same effects, both ways", [] {
    const auto values = *stream(1200);
    tether::test::VectorChoices ch(values);
    const poll::Config config = draw_poll_config(ch);
    const Run run = run_random(ch, config, 300);
    poll::State a = poll::make(poll_test::seeded(config, run.seed)).value();
    poll::State b = poll::make(poll_test::seeded(config, run.seed)).value();
    std::string trace;
    for (const poll::Event& ev : run.events) {
      poll::Step step = poll::transition(std::move(a), ev);
      const poll::Effects in_place = poll::transition_in_place(b, ev);
      const std::string effects = describe(step.effects);
      RC_ASSERT(effects == describe(in_place));
      RC_ASSERT(poll::next_deadline(step.state) == poll::next_deadline(b));
      trace += describe(ev) + " ->" + effects + "\n";
      a = std::move(step.state);
    }
    RC_ASSERT(trace == run.trace);
  });
}

// --- the reference has teeth: broken reducers it must catch ---------------------

namespace {

// A failed poll "clears" the endpoint: Removed for its first key.
poll::Effects removed_after_failed_poll(poll::State& s, const poll::Event& e) noexcept {
  poll::Effects fx = poll::transition_in_place(s, e);
  const auto* f = std::get_if<poll::PollFailed>(&e);
  const auto* polling = std::get_if<poll::Polling>(&s.phase);
  if (f == nullptr || polling == nullptr || f->endpoint >= polling->endpoints.size()) return fx;
  const auto& snapshot = polling->endpoints[f->endpoint].snapshot;
  if (!snapshot || snapshot->empty()) return fx;
  const poll::Entry first = snapshot->entries()[0];
  fx.push_back(poll::Removed{f->endpoint, first.key, first.value});
  return fx;
}

// No backoff: a failed endpoint is due again 1 ms after the failure (its
// status still names the policy's delay).
poll::Effects no_backoff(poll::State& s, const poll::Event& e) noexcept {
  poll::Effects fx = poll::transition_in_place(s, e);
  const auto* f = std::get_if<poll::PollFailed>(&e);
  auto* polling = std::get_if<poll::Polling>(&s.phase);
  if (f == nullptr || polling == nullptr || f->endpoint >= polling->endpoints.size()) return fx;
  poll::EndpointState& ep = polling->endpoints[f->endpoint];
  if (auto* w = std::get_if<poll::Waiting>(&ep.activity);
      w != nullptr && ep.status.health == poll::Health::backing_off)
    w->due_at = model::after(f->now, 1);
  return fx;
}

// Statuses are never reported.
poll::Effects no_status(poll::State& s, const poll::Event& e) noexcept {
  poll::Effects fx = poll::transition_in_place(s, e);
  std::erase_if(
      fx, [](const poll::Effect& x) { return std::holds_alternative<poll::ReportStatus>(x); });
  return fx;
}

// A 304 before any snapshot taken for an empty 200 (polling.md: it backs off).
poll::Effects early_304_is_empty(poll::State& s, const poll::Event& e) noexcept {
  const auto* ok = std::get_if<poll::PollSucceeded>(&e);
  const auto* polling = std::get_if<poll::Polling>(&s.phase);
  if (ok != nullptr && !ok->snapshot && polling != nullptr &&
      ok->endpoint < polling->endpoints.size() && !polling->endpoints[ok->endpoint].snapshot)
    return poll::transition_in_place(s,
                                     poll::PollSucceeded{ok->now, ok->endpoint, poll::Snapshot{}});
  return poll::transition_in_place(s, e);
}

// A result nobody awaits polls endpoint 0.
poll::Effects stray_polls(poll::State& s, const poll::Event& e) noexcept {
  const auto* ok = std::get_if<poll::PollSucceeded>(&e);
  const auto* polling = std::get_if<poll::Polling>(&s.phase);
  const bool stray =
      ok != nullptr && polling != nullptr &&
      (ok->endpoint >= polling->endpoints.size() ||
       !std::holds_alternative<poll::InFlight>(polling->endpoints[ok->endpoint].activity));
  poll::Effects fx = poll::transition_in_place(s, e);
  if (stray) fx.push_back(poll::Poll{0, false});
  return fx;
}

// One more poll as the session stops.
poll::Effects poll_after_stop(poll::State& s, const poll::Event& e) noexcept {
  const bool was_terminal = poll::is_terminal(s);
  poll::Effects fx = poll::transition_in_place(s, e);
  if (!was_terminal && poll::is_terminal(s)) fx.push_back(poll::Poll{0, false});
  return fx;
}

// The run_random of seed `seed`'s choices.
Run run_seeded(std::uint64_t seed, Transition transition) {
  model::Prng prng(seed);
  std::vector<std::uint32_t> values(3000);
  for (std::uint32_t& v : values) v = static_cast<std::uint32_t>(prng.next());
  tether::test::VectorChoices ch(std::move(values));
  const poll::Config config = draw_poll_config(ch);
  return run_random(ch, config, 400, transition);
}

}  // namespace

TEST_CASE("the reference catches broken polling reducers in random sessions", "[poll][mutation]") {
  struct Mutant {
    const char* name;
    Transition transition;
    std::string_view rule;  // the reference's rule that must catch it first
  };
  const Mutant mutants[] = {
      {"removed_after_failed_poll", &removed_after_failed_poll, "no-removed"},
      {"no_backoff", &no_backoff, "deadline"},
      {"no_status", &no_status, "status"},
      {"early_304_is_empty", &early_304_is_empty, "status"},
      {"stray_polls", &stray_polls, "ignored"},
      {"poll_after_stop", &poll_after_stop, "stop"},
  };
  for (const Mutant& mutant : mutants) {
    std::optional<std::uint64_t> caught;
    Run run;
    for (std::uint64_t seed = 1; seed <= 300 && !caught; ++seed) {
      run = run_seeded(seed, mutant.transition);
      if (!run.violation.empty()) caught = seed;
    }
    INFO("mutant " << mutant.name);
    REQUIRE(caught.has_value());
    INFO("seed " << *caught << ": " << run.violation);
    CHECK(run.rule == mutant.rule);
    CHECK(run_seeded(*caught, &poll::transition_in_place).violation.empty());
  }
}
