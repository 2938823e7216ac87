// The one Catch2 (v2) main for tether's test executables. Kept in its own
// translation unit so test files rebuild without recompiling Catch's runner.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
