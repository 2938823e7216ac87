#include <tether/io/driver.hpp>
#include <utility>
#include <variant>

namespace tether::io {

namespace {

bool is_terminal(model::StatusKind kind) {
  return kind == model::StatusKind::stopped || kind == model::StatusKind::gave_up ||
         kind == model::StatusKind::failed;
}

// The position of a delivered frame, as a checkpoint stores it (the reducer's
// rule: an empty id is a reset, not a token).
model::Cursor cursor_of(const std::optional<model::Token>& id,
                        std::optional<std::uint64_t> sequence) {
  if (id && !id->empty())
    return sequence ? model::Cursor::at_token(*id, *sequence) : model::Cursor::at_token(*id);
  if (sequence) return model::Cursor::at_sequence(*sequence);
  return {};
}

}  // namespace

Driver::Driver(model::State initial, DriverPorts ports, DriverOptions options)
    : ports_(ports),
      options_(std::move(options)),
      loop_(std::move(initial), ports_.clock, ports_.host, steps_, options_.reducer),
      hooks_(std::move(options_.hooks), ports_.strand,
             [this](ConnectRequest request, RequestHooks::Outcome outcome) {
               on_request_ready(std::move(request), std::move(outcome));
             }) {
  // The driver mutants that live in the loop (the mutation check only).
  if (mutated(DriverMutant::timer_not_rearmed_earlier))
    loop_.inject_defect(LoopDefect::timer_not_rearmed_earlier);
  if (mutated(DriverMutant::timer_fired_still_armed))
    loop_.inject_defect(LoopDefect::timer_fired_still_armed);
  if (mutated(DriverMutant::stop_before_deferred_ack))
    loop_.inject_defect(LoopDefect::inbox_never_merges);
}

bool Driver::finished() const {
  return failed_to_start_ || (is_terminal(state().status.kind) && offloads_in_flight_ == 0);
}

// Every input the session's effects can feed back within one step (a save
// with no store, an auto-ack, the application's ack and stop, which merge)
// fits the inbox many times over: a refusal means a port feeds inputs back
// without end. Say so; the input is lost.
void Driver::Steps::refused(const model::Event& event) {
  driver.diagnose(Diagnostic::Kind::fatal,
                  "internal: the driver's inbox is full (" +
                      std::to_string(decltype(driver.loop_)::inbox_max) +
                      " inputs arrived while one step's effects ran); dropped event #" +
                      std::to_string(event.index()));
}

void Driver::diagnose(Diagnostic::Kind kind, std::string text, Diagnostic::Level level,
                      Diagnostic::Outage outage) {
  if (kind == Diagnostic::Kind::fatal) level = Diagnostic::Level::error;
  ports_.application.on_diagnostic(Diagnostic{kind, std::move(text), level, outage});
}

SessionSnapshot Driver::snapshot() const {
  SessionSnapshot out;
  snapshot(out);
  return out;
}

void Driver::snapshot(SessionSnapshot& out) const {
  stats_.fill(out, state(), status(), ports_.clock.now());
}

// Fed right after this (transports never call from inside open() or close(),
// so the next step is the one this end causes); otherwise said at once.
void Driver::connection_ended(Diagnostic::Kind kind, std::uint16_t http_status, std::string text) {
  if (loop_.executing()) return diagnose(kind, std::move(text));
  end_reported_ = EndReported{kind, http_status, std::move(text)};
}

namespace {
// What an attempt that ended on a deadline failed of (no transport said why).
std::string_view timeout_text(model::Reason reason) {
  switch (reason) {
    case model::Reason::connect_timeout:
      return "no connection within the connect timeout (connect_timeout)";
    case model::Reason::confirm_timeout:
      return "the server accepted the request but sent nothing in time (confirm_timeout)";
    case model::Reason::heartbeat_timeout:
      return "nothing received within the heartbeat budget: the connection is presumed dead "
             "(heartbeat_timeout)";
    default:
      return {};  // auth_refresh_failed: the auth diagnostics say why
  }
}
}  // namespace

// An outage says its first failed attempt (warning) and conceals the repeats
// (debug, counted); an attempt that ends the session is an error. An end that
// failed no attempt (a clean close of a healthy stream, a 401 that a refresh
// answers) is info.
void Driver::report_attempt_end(const model::Event& event, const model::Effects& effects) {
  std::optional<EndReported> told = std::exchange(end_reported_, std::nullopt);
  const auto failure = stats_.stepped(event, effects);
  if (!failure) {
    if (told) diagnose(told->kind, std::move(told->text), Diagnostic::Level::info);
    return;
  }
  std::string text =
      told ? std::move(told->text) : std::string(timeout_text(failure->status.reason));
  stats_.record_error(told ? told->http_status : 0, text);
  if (text.empty()) return;
  const Diagnostic::Kind kind = told ? told->kind : Diagnostic::Kind::connection;
  if (failure->terminal) return diagnose(kind, std::move(text), Diagnostic::Level::error);
  if (failure->outage_failures == 1)
    return diagnose(kind, std::move(text), Diagnostic::Level::warning, Diagnostic::Outage::began);
  text += " (failed attempt " + std::to_string(failure->outage_failures) + " of this outage)";
  diagnose(kind, std::move(text), Diagnostic::Level::debug, Diagnostic::Outage::repeat);
}

void Driver::report_recovery(const SessionStats::Recovery& recovery) {
  diagnose(Diagnostic::Kind::connection,
           "streaming again after an outage of " + std::to_string(recovery.outage_ms) + " ms and " +
               std::to_string(recovery.failures) + " failed attempt(s)",
           Diagnostic::Level::info, Diagnostic::Outage::recovered);
}

model::Status Driver::status() const {
  if (failed_to_start_)
    return model::Status{model::StatusKind::failed, model::Reason::checkpoint_unreadable, 0, {}, 0};
  return state().status;
}

// A failing disk fails every save the same way: say so once, then at most
// every save_report_interval_ms (with the count), and once more when it heals.
// The final flush of a stop is fatal: the checkpoint is behind what was handled.
void Driver::report_save_failed(std::string text) {
  ++save_failures_;
  if (is_terminal(state().status.kind)) {
    save_failed_at_stop_ = true;
    diagnose(Diagnostic::Kind::fatal, "the final checkpoint save failed: " + text);
    return;
  }
  const model::Instant now = ports_.clock.now();
  if (save_reported_at_ && model::elapsed_ms(*save_reported_at_, now) < save_report_interval_ms) {
    ++save_failures_unreported_;
    return;
  }
  if (save_failures_unreported_ > 0)
    text += " (" + std::to_string(save_failures_unreported_) + " more failures not shown)";
  save_failures_unreported_ = 0;
  save_reported_at_ = now;
  diagnose(Diagnostic::Kind::checkpoint, std::move(text));
}

void Driver::report_save_recovered() {
  if (save_failures_ == 0) return;
  diagnose(
      Diagnostic::Kind::checkpoint,
      "checkpoint saves work again after " + std::to_string(save_failures_) + " failed attempt(s)",
      Diagnostic::Level::info);
  save_failures_ = 0;
  save_failures_unreported_ = 0;
  save_reported_at_.reset();
}

std::optional<model::Instant> Driver::expiry_instant(std::optional<std::int64_t> unix_ms) {
  if (!unix_ms) return std::nullopt;
  const std::int64_t left_ms = *unix_ms - ports_.clock.unix_now_ms();
  return model::after(ports_.clock.now(), left_ms < 0 ? 0 : left_ms);
}

void Driver::start() {
  if (started_) return;
  started_ = true;
  ++offloads_in_flight_;
  CheckpointStore* store = ports_.store;
  AuthProvider* auth = ports_.auth;
  ports_.host.offload(
      [this, store, auth]() -> Host::Completion {
        std::expected<std::optional<model::Cursor>, CheckpointError> loaded{std::nullopt};
        if (store != nullptr) loaded = store->load();
        std::optional<std::expected<Credentials, std::string>> credentials;
        if (auth != nullptr) credentials = auth->refresh();
        return [this, loaded = std::move(loaded), credentials = std::move(credentials)]() mutable {
          --offloads_in_flight_;
          if (!loaded) {
            failed_to_start_ = true;
            stats_.failed_to_start(ports_.clock.now());
            diagnose(
                Diagnostic::Kind::fatal,
                "cannot start: " + loaded.error().message() +
                    " (fix or remove the file; tether never restarts from the beginning silently)");
            ports_.application.on_status(status());
            return;
          }
          std::optional<std::int64_t> expires_unix_ms;
          if (credentials) {
            if (*credentials) {
              bearer_token_ = std::move((*credentials)->bearer_token);
              expires_unix_ms = (*credentials)->expires_unix_ms;
            } else if (!is_terminal(
                           state().status.kind)) {  // a stop cancels the refresh: nothing to say
              diagnose(Diagnostic::Kind::auth,
                       "no initial credentials: " + credentials->error() + " (connecting without)");
            }
          }
          begin_started(*loaded, expires_unix_ms);
        };
      },
      Blocking::start);
}

void Driver::begin_started(std::optional<model::Cursor> checkpoint,
                           std::optional<std::int64_t> token_expires_unix_ms) {
  // stop() before the checkpoint was loaded already ended the session.
  if (is_terminal(state().status.kind)) return;
  feed(model::Started{{}, checkpoint, expiry_instant(token_expires_unix_ms)});
}

// From inside an application callback, stop() and ack() wait in the loop's
// inbox until the step's effects have run (a second stop, and acks, merge).
void Driver::stop() {
  if (failed_to_start_) return;  // never started: its failed status stands
  if (loop_.executing() && mutated(DriverMutant::stop_dropped_while_feeding)) return;
  feed(model::StopRequested{});
}

void Driver::ack(std::uint64_t delivery_id) {
  if (state().config->resume.commit != model::CommitPolicy::on_ack) return;
  // An ack past the last delivery acks what was delivered (the model would
  // ignore the whole ack, and the entries popped here would be lost).
  std::optional<std::pair<std::uint64_t, model::Cursor>> last;
  const std::uint64_t through = delivery_id + (mutated(DriverMutant::ack_pops_one_more) ? 1 : 0);
  while (!unacked_.empty() &&
         (mutated(DriverMutant::ack_pops_one_fewer) ? unacked_.front().first < delivery_id
                                                    : unacked_.front().first <= through)) {
    last = unacked_.front();
    unacked_.pop_front();
  }
  if (!last) return;  // already acked, or never delivered
  feed(model::DeliveryAcked{{}, last->first, last->second});
}

void Driver::on_timer() { loop_.on_timer(); }

void Driver::network_restored() { feed(model::NetworkRestored{}); }

void Driver::network_changed() {
  feed(model::ReconnectRequested{{}, model::ReconnectWhy::network_changed});
}

void Driver::pause() { feed(model::PauseRequested{}); }

void Driver::resume() { feed(model::ResumeRequested{}); }

void Driver::restart() { feed(model::ReconnectRequested{{}, model::ReconnectWhy::restart}); }

void Driver::on_opened() { feed(model::ConnectionOpened{}); }

void Driver::on_rejected(std::uint16_t http_status, std::optional<std::int64_t> retry_after_ms,
                         std::string_view detail) {
  connection_open_ = false;
  std::string text = "server answered HTTP " + std::to_string(http_status);
  if (!detail.empty()) text.append(": ").append(detail);
  connection_ended(Diagnostic::Kind::connection, http_status, std::move(text));
  feed(model::ServerRejected{{}, http_status, retry_after_ms});
}

void Driver::on_bytes() { feed(model::BytesReceived{}); }

// No step: a comment is no event of the session (the transport's on_bytes()
// after it is the liveness). Transports call it only between on_opened() and
// the connection's end, never from inside open() or close().
void Driver::on_comment(std::string_view text) { ports_.application.on_comment(text); }

void Driver::on_message(const Message& message) {
  // The message's views live only during this call, and Deliver needs them:
  // a frame cannot wait in the inbox. Transports never call from inside
  // open()/close() (transport.hpp), so effects never run here.
  if (loop_.executing()) {
    diagnose(Diagnostic::Kind::fatal,
             "internal: a transport delivered a message from inside open() or close()");
    return;
  }
  std::optional<model::Token> token;
  if (message.id) {
    const bool fits = mutated(DriverMutant::id_guard_off_by_one)
                          ? message.id->size() < options_.id_bytes_max
                          : message.id->size() <= options_.id_bytes_max;
    auto made =
        fits ? model::Token::make(*message.id) : std::unexpected(model::Token::Error::too_long);
    if (!made) {
      // Never truncate a resume id: a truncated id would resume elsewhere. The
      // server resends the same id after a reconnect, so retrying cannot help.
      const std::size_t size = message.id->size();
      ports_.transport.close();
      on_closed(model::CloseCause::unrecoverable,
                "event id of " + std::to_string(size) + " bytes exceeds the " +
                    std::to_string(options_.id_bytes_max) +
                    "-byte limit for resume ids (DriverOptions::id_bytes_max, tether-watch "
                    "--id-bytes-max; at most " +
                    std::to_string(model::Token::capacity) + ")");
      return;
    }
    token = *made;
  }
  std::optional<std::uint64_t> sequence;
  if (options_.sequence) sequence = options_.sequence(message);
  frame_ = &message;
  frame_token_ = token;
  feed(model::FrameReceived{{}, sequence, token, message.retry_ms, ++frame_ref_});
  frame_ = nullptr;
}

void Driver::on_closed(model::CloseCause cause, std::string_view detail) {
  connection_open_ = false;
  if (!detail.empty()) {
    const Diagnostic::Kind kind =
        cause == model::CloseCause::unrecoverable    ? Diagnostic::Kind::fatal
        : cause == model::CloseCause::protocol_error ? Diagnostic::Kind::protocol
                                                     : Diagnostic::Kind::connection;
    connection_ended(kind, 0, std::string(detail));
  }
  feed(model::ConnectionClosed{{}, cause});
}

void Driver::on_cursor_expired() {
  connection_ended(Diagnostic::Kind::connection, 0,
                   "the server no longer keeps the history the resume cursor names");
  feed(model::CursorExpired{});
}

void Driver::on_replay_finished() { feed(model::ReplayFinished{}); }

void Driver::on_notice(std::string_view text) {
  diagnose(Diagnostic::Kind::connection, std::string(text), Diagnostic::Level::info);
}

void Driver::on_response(const ResponseHead& head) {
  if (auto threw = hooks_.response(head)) diagnose(Diagnostic::Kind::connection, std::move(*threw));
}

SequenceFn sequence_fn(SequenceExtractor extractor) {
  return [extractor = std::move(extractor)](const Message& m) {
    return extractor.extract(m.id.value_or(std::string_view{}), m.data);
  };
}

void Driver::execute(const model::Effect& effect) {
  if (const auto* connect_effect = std::get_if<model::Connect>(&effect)) {
    connect(*connect_effect);
  } else if (std::holds_alternative<model::CloseConnection>(effect)) {
    close_connection();
  } else if (const auto* deliver_effect = std::get_if<model::Deliver>(&effect)) {
    deliver(*deliver_effect);
  } else if (const auto* gap = std::get_if<model::ReportGap>(&effect)) {
    ports_.application.on_gap(*gap);
  } else if (const auto* save_effect = std::get_if<model::SaveCheckpoint>(&effect)) {
    save(*save_effect);
  } else if (const auto* refresh = std::get_if<model::RefreshAuth>(&effect)) {
    refresh_auth(*refresh);
  } else if (const auto* report = std::get_if<model::ReportStatus>(&effect)) {
    report_refresh_timeout(report->status);
    ports_.application.on_status(report->status);
  }
}

// With a request hook, the transport opens once the hook's request is back
// (on_request_ready); the attempt counts as open meanwhile, so a
// CloseConnection (the connect deadline, a stop) abandons the hook.
void Driver::connect(const model::Connect& connect) {
  ConnectRequest request;
  request.attempt = connect.attempt;
  request.from = connect.from;
  request.cursor = connect.cursor;
  request.bearer_token = bearer_token_;
  connection_open_ = !mutated(DriverMutant::close_forgotten);
  const model::Instant now = ports_.clock.now();
  const auto* connecting = std::get_if<model::Connecting>(&state().phase);
  if (hooks_.begin(request, now, connecting != nullptr ? connecting->deadline : now)) return;
  ports_.transport.open(request, *this);
}

void Driver::on_request_ready(ConnectRequest request, RequestHooks::Outcome outcome) {
  if (!outcome) return on_closed(outcome.error().cause, outcome.error().text);
  request.request = std::move(*outcome);
  // The credentials as the request leaves, not as the hook began: a refresh
  // may have answered meanwhile (found by the simulator's hooked swarm: a
  // slow hook sent a token the auth source had already replaced).
  request.bearer_token = bearer_token_;
  ports_.transport.open(request, *this);
}

void Driver::close_connection() {
  if (connection_open_) {
    const auto missed = hooks_.abandon(ports_.clock.now());
    if (missed && state().status.kind != model::StatusKind::stopped)
      diagnose(Diagnostic::Kind::connection, *missed);
    ports_.transport.close();
  }
  connection_open_ = false;
}

void Driver::deliver(const model::Deliver& effect) {
  if (frame_ == nullptr || effect.frame_ref != frame_ref_) return;  // cannot happen
  Delivery delivery;
  delivery.delivery_id = effect.delivery_id;
  delivery.sequence = effect.sequence;
  delivery.id = frame_->id;
  delivery.type = frame_->type;
  delivery.data = frame_->data;
  const bool on_ack = state().config->resume.commit == model::CommitPolicy::on_ack;
  if (on_ack && (frame_token_ || effect.sequence)) {
    const model::Cursor cursor = cursor_of(frame_token_, effect.sequence);
    if (options_.auto_ack) {
      // Fed once this step's effects have run (the loop's inbox).
      feed(model::DeliveryAcked{{}, effect.delivery_id, cursor});
    } else {
      unacked_.emplace_back(effect.delivery_id, cursor);
    }
  }
  ports_.application.on_delivery(delivery);
}

void Driver::save(const model::SaveCheckpoint& effect) {
  if (ports_.store == nullptr) {
    // Nothing to persist: durable at once, without a trip off the strand
    // (fed once this step's effects have run).
    feed(model::CheckpointSaved{{}, effect.delivery_id});
    return;
  }
  ++offloads_in_flight_;
  CheckpointStore* store = ports_.store;
  ports_.host.offload(
      [this, store, id = effect.delivery_id, cursor = effect.cursor]() -> Host::Completion {
        std::expected<void, CheckpointError> saved;
        if (store != nullptr) saved = store->save(cursor);
        return [this, id, saved = std::move(saved)] {
          --offloads_in_flight_;
          if (saved) {
            report_save_recovered();
            feed(model::CheckpointSaved{{},
                                        mutated(DriverMutant::saved_id_off_by_one) ? id - 1 : id});
          } else {
            report_save_failed(saved.error().message());
            feed(model::CheckpointSaveFailed{{}, id});
          }
        };
      },
      Blocking::checkpoint_save);
}

// The answer carries the request's number back: the reducer matches it to
// the request it answers, however late it comes.
void Driver::refresh_auth(const model::RefreshAuth& effect) {
  ++offloads_in_flight_;
  refresh_running_ = effect.request;
  refresh_timeout_told_ = false;
  AuthProvider* auth = ports_.auth;
  const model::Instant asked_at = ports_.clock.now();
  ports_.host.offload(
      [this, auth, request = effect.request, asked_at]() -> Host::Completion {
        std::expected<Credentials, std::string> refreshed =
            auth != nullptr ? auth->refresh()
                            : std::expected<Credentials, std::string>(
                                  std::unexpect, "no auth provider configured");
        return [this, refreshed = std::move(refreshed), request, asked_at]() mutable {
          --offloads_in_flight_;
          if (refresh_running_ == request) refresh_running_ = 0;
          const std::int64_t took_ms = model::elapsed_ms(asked_at, ports_.clock.now());
          const std::int64_t timeout_ms = state().config->auth.refresh_timeout_ms;
          if (refreshed) {
            if (took_ms > timeout_ms && !is_terminal(state().status.kind))
              diagnose(Diagnostic::Kind::auth,
                       "credential refresh answered after " + std::to_string(took_ms) +
                           " ms, past auth.refresh_timeout_ms (" + std::to_string(timeout_ms) +
                           " ms): its credentials are used for the next attempt");
            if (!mutated(DriverMutant::bearer_not_updated))
              bearer_token_ = std::move(refreshed->bearer_token);
            feed(model::AuthRefreshed{{}, expiry_instant(refreshed->expires_unix_ms), request});
          } else {
            diagnose(Diagnostic::Kind::auth, "credential refresh failed: " + refreshed.error());
            feed(model::AuthRefreshFailed{{}, request});
          }
        };
      },
      Blocking::credential_refresh);
}

// A refresh that a 401 waited for timed out: say so once, naming the option
// (the status only says auth_refresh_failed). The call stays out; the session
// asks no other until it answers.
void Driver::report_refresh_timeout(const model::Status& status) {
  if (status.reason != model::Reason::auth_refresh_failed || refresh_running_ == 0 ||
      refresh_timeout_told_)
    return;
  refresh_timeout_told_ = true;
  std::string text = "credential refresh unanswered after auth.refresh_timeout_ms (" +
                     std::to_string(state().config->auth.refresh_timeout_ms) + " ms)";
  if (status.kind == model::StatusKind::backing_off)
    text += ": counted as a failed refresh; its answer, if it comes, is still used";
  diagnose(Diagnostic::Kind::auth, std::move(text));
}

}  // namespace tether::io
