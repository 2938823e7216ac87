#include <array>
#include <cinttypes>
#include <cstdio>
#include <tether/model/effects_hash.hpp>
#include <tether/model/session.hpp>
#include <tether/sim/recording_replay.hpp>
#include <tether/sim/trace.hpp>

namespace tether::sim {

namespace {

std::string hex(std::uint64_t v) {
  std::array<char, 17> buf{};
  std::snprintf(buf.data(), buf.size(), "%016" PRIx64, v);
  return buf.data();
}

std::string effects_difference(const model::RecordedEffects& recorded,
                               const model::Effects& replayed) {
  const std::string kinds = model::effect_kinds(replayed.span());
  std::string what = "recorded effects: " + recorded.kinds + " (hash " + hex(recorded.hash) + ")\n";
  what +=
      "replayed effects: " + kinds + " (hash " + hex(model::effects_hash(replayed.span())) + ")";
  if (kinds == recorded.kinds) what += ": the same effects with different fields";
  for (const model::Effect& e : replayed) what += "\n  " + model::encode_effect(e);
  return what;
}

}  // namespace

std::string describe(const Divergence& d) {
  std::string s = "DIVERGED at ";
  s += d.event == "@state" ? "the state check after step " + std::to_string(d.step)
                           : "step " + std::to_string(d.step);
  s += " (line " + std::to_string(d.line) + ", " + d.when + "): " + d.event + "\n";
  std::size_t start = 0;
  while (start < d.what.size()) {
    const std::size_t nl = std::min(d.what.find('\n', start), d.what.size());
    s += "  " + d.what.substr(start, nl - start) + "\n";
    start = nl + 1;
  }
  return s;
}

ReplayResult replay_recording(const model::Recording& recording, const model::SessionConfig& config,
                              const ReplayOptions& options) {
  ReplayResult r;
  auto made = model::make(config);
  if (!made) {
    r.error = "configuration: " + std::string(made.error().field) + " " +
              std::string(made.error().reason);
    return r;
  }
  r.state = std::move(*made);
  OperatorSummary summary(recording.header ? std::optional(recording.header->clock) : std::nullopt);
  Trace trace(options.keep_trace_text);
  model::Instant last{};
  std::size_t next_state = 0;
  // The @state lines that hold after `steps` steps; false at the first mismatch.
  auto states_hold = [&](std::size_t steps) {
    for (;
         next_state < recording.states.size() && recording.states[next_state].after_steps <= steps;
         ++next_state) {
      const model::RecordedState& expected = recording.states[next_state];
      ++r.states_checked;
      const model::StateCheck got = model::state_check_of(r.state);
      if (got == expected.check) continue;
      r.divergence = Divergence{steps,
                                expected.line,
                                last,
                                summary.time(last),
                                "@state",
                                "recorded state: " + model::describe(expected.check) +
                                    "\nreplayed state: " + model::describe(got)};
      return false;
    }
    return true;
  };
  if (states_hold(0)) {
    for (const model::RecordedStep& step : recording.steps) {
      const model::Effects effects = model::transition_in_place(r.state, step.event);
      last = model::time_of(step.event);
      trace.step(last.ms, 0, step.event, effects);
      summary.step(step.event, effects);
      ++r.steps;
      if (step.effects) {
        ++r.effects_checked;
        if (model::effect_kinds(effects.span()) != step.effects->kinds ||
            model::effects_hash(effects.span()) != step.effects->hash) {
          r.divergence = Divergence{r.steps,
                                    step.line,
                                    last,
                                    summary.time(last),
                                    model::encode_event(step.event),
                                    effects_difference(*step.effects, effects)};
          break;
        }
      }
      if (!states_hold(r.steps)) break;
    }
  }
  r.trace_hash = trace.hash();
  r.trace = trace.text();
  r.summary = summary.text(r.state, r.divergence.has_value());
  return r;
}

}  // namespace tether::sim
