#include <tether/io/mirror_driver.hpp>
#include <utility>
#include <variant>

namespace tether::io {

namespace mirror = model::mirror;

MirrorDriver::MirrorDriver(mirror::State initial, MirrorDriverPorts ports,
                           MirrorDriverOptions options)
    : ports_(ports), loop_(std::move(initial), ports_.clock, ports_.host, steps_, options.reducer) {
  loop_.inject_defect(options.loop_defect);
}

void MirrorDriver::start() { loop_.feed(mirror::Started{}); }
void MirrorDriver::stop() { loop_.feed(mirror::StopRequested{}); }

void MirrorDriver::value_pushed(std::string key, std::string value) {
  loop_.feed(mirror::ValuePushed{{}, std::move(key), std::move(value)});
}
void MirrorDriver::removal_pushed(std::string key) {
  loop_.feed(mirror::RemovalPushed{{}, std::move(key)});
}
void MirrorDriver::heartbeat() { loop_.feed(mirror::HeartbeatReceived{}); }

void MirrorDriver::value_polled(model::Instant observed_at, std::string key, std::string value) {
  loop_.feed(mirror::ValuePolled{{}, observed_at, std::move(key), std::move(value)});
}
void MirrorDriver::removal_polled(model::Instant observed_at, std::string key) {
  loop_.feed(mirror::RemovalPolled{{}, observed_at, std::move(key)});
}
void MirrorDriver::poll_completed(model::Instant observed_at) {
  loop_.feed(mirror::PollCompleted{{}, observed_at});
}

void MirrorDriver::diagnose(std::string text) {
  ports_.application.on_diagnostic(
      Diagnostic{Diagnostic::Kind::fatal, std::move(text), Diagnostic::Level::error});
}

// The effects name no key: it is the step's event's, set for every step
// (a keyless step clears it) before its effects execute.
void MirrorDriver::Steps::stepped(const mirror::Event& event, const mirror::Effects&) {
  driver.keyed_ = true;
  if (const auto* v = std::get_if<mirror::ValuePushed>(&event)) {
    driver.key_ = v->key;
  } else if (const auto* r = std::get_if<mirror::RemovalPushed>(&event)) {
    driver.key_ = r->key;
  } else if (const auto* vp = std::get_if<mirror::ValuePolled>(&event)) {
    driver.key_ = vp->key;
  } else if (const auto* rp = std::get_if<mirror::RemovalPolled>(&event)) {
    driver.key_ = rp->key;
  } else {
    driver.keyed_ = false;
  }
}

void MirrorDriver::Steps::executed(const mirror::Event& event, const mirror::State& after,
                                   const mirror::Effects& effects) {
  if (driver.ports_.observer != nullptr) driver.ports_.observer->on_step(event, after, effects);
}

// The mirror's effects feed nothing back; an application that feeds inputs
// from its callbacks without end fills the inbox. Say so; the input is lost.
void MirrorDriver::Steps::refused(const mirror::Event& event) {
  driver.diagnose("internal: the mirror's inbox is full (" +
                  std::to_string(decltype(driver.loop_)::inbox_max) +
                  " inputs arrived while one step's effects ran); dropped event #" +
                  std::to_string(event.index()));
}

bool MirrorDriver::has_key(const char* effect) {
  if (!keyed_) diagnose(std::string("internal: ") + effect + " for an event that writes no key");
  return keyed_;
}

void MirrorDriver::execute(const mirror::Effect& effect) {
  if (const auto* s = std::get_if<mirror::ReportStatus>(&effect)) {
    ports_.application.on_status(s->status);
  } else if (const auto* c = std::get_if<mirror::ValueChanged>(&effect)) {
    if (has_key("ValueChanged")) ports_.application.on_change(key_, c->change, c->source);
  } else if (const auto* i = std::get_if<mirror::WriteIgnored>(&effect)) {
    if (has_key("WriteIgnored")) ports_.application.on_ignored(key_, i->cause);
  }
}

}  // namespace tether::io
