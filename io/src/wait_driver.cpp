#include <tether/io/wait_driver.hpp>
#include <utility>
#include <variant>

namespace tether::io {

namespace wait = model::wait;

WaitDriver::WaitDriver(wait::State initial, WaitDriverPorts ports, WaitDriverOptions options)
    : ports_(ports), loop_(std::move(initial), ports_.clock, ports_.host, steps_, options.reducer) {
  loop_.inject_defect(options.loop_defect);
}

void WaitDriver::start(wait::Link link) { loop_.feed(wait::Started{{}, link}); }
void WaitDriver::stop() { loop_.feed(wait::StopRequested{}); }
void WaitDriver::link_up() { loop_.feed(wait::Connected{}); }
void WaitDriver::link_down() { loop_.feed(wait::Disconnected{}); }
void WaitDriver::watch_ended(std::uint64_t id) { loop_.feed(wait::WatchEnded{{}, id}); }

void WaitDriver::diagnose(std::string text) {
  if (!ended_)
    ports_.application.on_diagnostic(Diagnostic{Diagnostic::Kind::connection, std::move(text)});
}

void WaitDriver::execute(const wait::Effect& effect) {
  if (const auto* a = std::get_if<wait::Acquire>(&effect)) {
    acquire(a->id);
  } else if (const auto* release = std::get_if<wait::Release>(&effect)) {
    ports_.application.on_release(release->id);
  } else if (const auto* report = std::get_if<wait::ReportStatus>(&effect)) {
    report_acquire_timeout(report->status);
    if (report->status.kind == wait::StatusKind::held) {
      if (const auto* held = std::get_if<wait::Held>(&state().phase))
        ports_.application.on_acquired(held->id);
    }
    ports_.application.on_status(report->status);
  }
}

// The answer carries the Acquire's number back: the reducer matches it to
// the acquisition it answers, however late it comes.
void WaitDriver::acquire(std::uint64_t id) {
  ++attempts_;
  running_id_ = id;
  running_timeout_told_ = false;
  const model::Instant asked_at = ports_.clock.now();
  running_since_ = asked_at;
  ResourceAcquirer& acquirer = ports_.acquirer;
  ports_.host.offload(
      [this, &acquirer, id, asked_at]() -> Host::Completion {
        std::expected<void, std::string> got = acquirer.acquire(id);
        return [this, id, asked_at, got = std::move(got)] { answered(id, asked_at, got); };
      },
      Blocking::resource_acquire);
}

// Fed however late it comes, even after the end (the reducer ignores it then).
void WaitDriver::answered(std::uint64_t id, model::Instant asked_at,
                          const std::expected<void, std::string>& got) {
  if (running_id_ == id) running_id_ = 0;
  if (!got) diagnose(got.error());
  const bool ended_before = ended_;
  loop_.feed(got ? wait::Event{wait::AcquireSucceeded{{}, id}}
                 : wait::Event{wait::AcquireFailed{{}, id}});
  if (ended_before) return;
  const std::int64_t took_ms = model::elapsed_ms(asked_at, ports_.clock.now());
  const std::int64_t timeout_ms = state().config->acquire_timeout_ms;
  if (timeout_ms <= 0 || took_ms < timeout_ms) return;
  const auto* held = std::get_if<wait::Held>(&state().phase);
  diagnose("acquisition " + std::to_string(id) + " answered after " + std::to_string(took_ms) +
           " ms, past acquire_timeout_ms (" + std::to_string(timeout_ms) + " ms): " +
           (held != nullptr && held->id == id ? "the resource is held"
            : got                             ? "not used (released, or no longer waited for)"
                                              : "failed"));
}

// The reducer gave up waiting for the acquisition out (its status says so):
// say it once, naming the option. The call cannot be taken back, so the
// session starts no other until it answers.
void WaitDriver::report_acquire_timeout(const wait::Status& st) {
  const bool timeout_status = st.cause == wait::Cause::acquire_timeout ||
                              st.cause == wait::Cause::acquire_still_out ||
                              st.kind == wait::StatusKind::gave_up;
  const std::int64_t timeout_ms = state().config->acquire_timeout_ms;
  if (running_id_ == 0 || running_timeout_told_ || !timeout_status || timeout_ms <= 0 ||
      model::elapsed_ms(running_since_, ports_.clock.now()) < timeout_ms)
    return;
  running_timeout_told_ = true;
  diagnose(
      "acquisition " + std::to_string(running_id_) + " unanswered after acquire_timeout_ms (" +
      std::to_string(timeout_ms) +
      " ms): counted as a failed attempt; no other acquisition starts until it answers, and its "
      "success, if it comes while the session still waits, is used");
}

}  // namespace tether::io
