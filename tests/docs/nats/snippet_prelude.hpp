#pragma once
// The docs' examples' prelude (../snippet_prelude.hpp) with tether::nats, for
// docs/nats.md: its include directory comes first when tether::nats is built.
#include <cstdint>
#include <string>
#include <tether/nats/jetstream_wait.hpp>

#include "../snippet_prelude.hpp"
