// A minimal tether client: builds a session from a named preset and checks that
// starting it asks for a connection. Shared by tests/consumer/find_package and
// tests/consumer/add_subdirectory.
#include <cstdio>
#include <tether/model/session.hpp>
#include <variant>

int main() {
  using namespace tether::model;
  auto session = make(presets::aviso());
  if (!session.has_value()) {
    std::fputs("consumer: make(presets::aviso()) returned no value\n", stderr);
    return 1;
  }
  const Step step = transition(std::move(*session), Started{Instant{0}, {}, {}});
  if (step.effects.empty() || !std::holds_alternative<Connect>(step.effects[0])) {
    std::fputs("consumer: Started did not produce a Connect effect\n", stderr);
    return 1;
  }
  std::puts("consumer: tether::model session from presets::aviso() connects on start");
  return 0;
}
