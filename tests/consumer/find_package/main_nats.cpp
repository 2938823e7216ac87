// A minimal tether::nats client from the installed package (its optional
// component, loaded because nats.c was found through the package's own find
// module): a bad bucket name is refused with a message; against a port where
// no broker listens, the wait starts, makes no lookup while the link is down,
// and stops.
#include <chrono>
#include <cstdio>
#include <string>
#include <tether/nats/jetstream_wait.hpp>
#include <thread>

int main() {
  using namespace tether;
  nats::JetStreamWaitOptions options;
  options.urls = {"nats://127.0.0.1:1"};  // port 1: nothing listens
  options.resource = nats::KvBucket{"bad.name"};
  auto refused = nats::JetStreamWait::start(options, {});
  if (refused || refused.error().find("KV bucket name 'bad.name'") == std::string::npos) {
    std::fputs("consumer_nats: a bad bucket name was not refused with a message\n", stderr);
    return 1;
  }
  options.resource = nats::KvBucket{"config"};
  auto wait = nats::JetStreamWait::start(options, {});
  if (!wait) {
    std::fprintf(stderr, "consumer_nats: %s\n", wait.error().c_str());
    return 1;
  }
  // Polls for the event (offline), bounded at 30 s for a slow machine.
  for (int i = 0; i < 3000 && (*wait)->status().kind != model::wait::StatusKind::offline; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const bool offline = (*wait)->status().kind == model::wait::StatusKind::offline;
  (*wait)->stop();
  if (!offline || (*wait)->attempts() != 0 || (*wait)->connected()) {
    std::fputs("consumer_nats: expected offline, no lookup, not connected\n", stderr);
    return 1;
  }
  std::puts("consumer_nats: tether::nats waits offline without a broker and stops");
  return 0;
}
