#include <tether/io/poll_driver.hpp>
#include <utility>
#include <variant>

namespace tether::io {

namespace poll = model::poll;

PollDriver::PollDriver(poll::State initial, PollDriverPorts ports, PollDriverOptions options)
    : ports_(ports),
      loop_(std::move(initial), ports_.clock, ports_.host, steps_, options.reducer),
      exchange_(*loop_.state().config) {
  loop_.inject_defect(options.loop_defect);
}

void PollDriver::diagnose(Diagnostic::Kind kind, std::string text) {
  ports_.application.on_diagnostic(Diagnostic{kind, std::move(text)});
}

void PollDriver::start() {
  // The first credentials come off the strand too; Started waits for them.
  if (ports_.auth != nullptr) return refresh_credentials(/*initial=*/true);
  loop_.feed(poll::Started{});
}

void PollDriver::stop() { loop_.feed(poll::StopRequested{}); }

void PollDriver::receiver_gone() { loop_.feed(poll::ReceiverGone{}); }

void PollDriver::execute(const poll::Effect& effect) {
  if (const auto* p = std::get_if<poll::Poll>(&effect)) {
    poll(p->endpoint);
  } else if (const auto* a = std::get_if<poll::Added>(&effect)) {
    ports_.application.on_change(a->endpoint, poll::ChangeKind::added, a->key, a->value);
  } else if (const auto* m = std::get_if<poll::Modified>(&effect)) {
    ports_.application.on_change(m->endpoint, poll::ChangeKind::modified, m->key, m->value);
  } else if (const auto* r = std::get_if<poll::Removed>(&effect)) {
    ports_.application.on_change(r->endpoint, poll::ChangeKind::removed, r->key, r->value);
  } else if (const auto* s = std::get_if<poll::ReportStatus>(&effect)) {
    ports_.application.on_status(s->endpoint, s->status);
  } else if (const auto* stopped = std::get_if<poll::ReportStopped>(&effect)) {
    ports_.application.on_stopped(stopped->reason);
  }
}

void PollDriver::poll(std::size_t endpoint) {
  const std::size_t endpoints = state().config->endpoints.size();
  if (endpoint >= endpoints) {  // a reducer's defect: there is nothing to poll
    diagnose(Diagnostic::Kind::fatal, "internal: a poll of endpoint " + std::to_string(endpoint) +
                                          " of " + std::to_string(endpoints));
    return;
  }
  ports_.poller.poll(endpoint, exchange_.etag(endpoint), bearer_token_);
}

void PollDriver::answered(std::size_t endpoint,
                          const std::expected<PollResponse, std::string>& response) {
  if (finished()) return;  // the stop cancelled it: nothing to say
  ++polls_answered_;
  PollExchange::Outcome outcome = exchange_.answer(endpoint, response);
  for (Diagnostic& d : outcome.diagnostics) ports_.application.on_diagnostic(d);
  // Fetch a token for the next poll, off the strand; the model keeps the
  // cadence (401 is quiet), so a refresh that fails is tried again at the
  // next 401, never in a loop.
  if (outcome.unauthorised && ports_.auth != nullptr) refresh_credentials(/*initial=*/false);
  loop_.feed(std::move(outcome.event));
}

// One refresh at a time, through Host::offload (off the strand, like every
// blocking call): the 401s of other endpoints meanwhile wait for its token.
// The first refresh feeds Started when it completes.
void PollDriver::refresh_credentials(bool initial) {
  if (refreshing_) return;
  refreshing_ = true;
  AuthProvider* auth = ports_.auth;
  ports_.host.offload(
      [this, auth, initial]() -> Host::Completion {
        std::expected<Credentials, std::string> refreshed = auth->refresh();
        return [this, initial, refreshed = std::move(refreshed)]() mutable {
          refreshing_ = false;
          if (finished()) return;  // stopped meanwhile: nothing to say
          if (refreshed) {
            bearer_token_ = std::move(refreshed->bearer_token);
          } else {
            diagnose(Diagnostic::Kind::auth,
                     (initial ? "no initial credentials: " : "credential refresh failed: ") +
                         refreshed.error());
          }
          if (initial) loop_.feed(poll::Started{});
        };
      },
      initial ? Blocking::start : Blocking::credential_refresh);
}

}  // namespace tether::io
