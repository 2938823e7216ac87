#pragma once
// tether-watch's application under simulation: the library class tether-watch
// prints with (io::LineOutput: one JSON line per delivery, acked only once a
// flush handed it on) over a simulated stdout whose unflushed bytes die with
// the process. Its invariant: the durable checkpoint never names a delivery
// whose line the reader did not get (a restart resumes after the checkpoint:
// such a line would be lost for good). docs/simulation.md, "tether-watch
// under simulation".
#include <tether/sim/client_code.hpp>

namespace tether::sim {

struct WatchCodeOptions {
  // How long after a line is written the flush comes (tether-watch's main loop
  // flushes every 50 ms).
  Ms flush_after_ms = 50;
  // The defect tether-watch once had, for the mutation check: ack each line
  // when it is written, before a flush hands it on.
  bool ack_when_written = false;
};

ClientCodeFactory watch_client_code(WatchCodeOptions options = {});

}  // namespace tether::sim
