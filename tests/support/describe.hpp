#pragma once
// Text and comparisons for the model's test runs (the property tests, the
// fuzz target): compact one-line printers for traces, determinism checks and
// messages, field-by-field equality of effect lists, and a transition() that
// turns an escaped exception into text. The rules a step is judged by are
// the streaming-session reference's (<tether/sim/reference/session.hpp>).

#include <optional>
#include <string>
#include <tether/model/session.hpp>

namespace tether::test {

// transition() must not throw; this one turns an escaped exception into text.
struct GuardedStep {
  std::optional<model::Step> step;
  std::string exception;  // set when `step` is empty
};
GuardedStep guarded_transition(model::State state, const model::Event& event);

// Field-by-field equality of two effect lists.
bool same_effects(const model::Effects& a, const model::Effects& b);

// Compact one-line text, used for traces, determinism checks and messages.
void append(std::string& out, const model::Cursor& cursor);
void append(std::string& out, const model::Event& event);
void append(std::string& out, const model::Effect& effect);
void append(std::string& out, const model::Effects& effects);
void append(std::string& out, const model::SessionConfig& config);
template <class T>
std::string describe(const T& value) {
  std::string out;
  append(out, value);
  return out;
}

}  // namespace tether::test
