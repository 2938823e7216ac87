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
  if (id && !id->empty()) return sequence ? model::Cursor::at_token(*id, *sequence) : model::Cursor::at_token(*id);
  if (sequence) return model::Cursor::at_sequence(*sequence);
  return {};
}

}  // namespace

Driver::Driver(model::State initial, DriverPorts ports, DriverOptions options)
    : state_(std::move(initial)), ports_(ports), options_(std::move(options)) {}

bool Driver::finished() const {
  return failed_to_start_ || (is_terminal(state_.status.kind) && offloads_in_flight_ == 0);
}

void Driver::diagnose(Diagnostic::Kind kind, std::string text) {
  ports_.application.on_diagnostic(Diagnostic{kind, std::move(text)});
}

model::Status Driver::status() const {
  if (failed_to_start_) return model::Status{model::StatusKind::failed, model::Reason::checkpoint_unreadable, 0, {}, 0};
  return state_.status;
}

// A failing disk fails every save the same way: say so once, then at most
// every save_report_interval_ms (with the count), and once more when it heals.
// The final flush of a stop is fatal: the checkpoint is behind what was handled.
void Driver::report_save_failed(std::string text) {
  ++save_failures_;
  if (is_terminal(state_.status.kind)) {
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
  diagnose(Diagnostic::Kind::checkpoint,
           "checkpoint saves work again after " + std::to_string(save_failures_) + " failed attempt(s)");
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
  ports_.host.offload([this, store, auth]() -> Host::Completion {
    std::expected<std::optional<model::Cursor>, CheckpointError> loaded{std::nullopt};
    if (store != nullptr) loaded = store->load();
    std::optional<std::expected<Credentials, std::string>> credentials;
    if (auth != nullptr) credentials = auth->refresh();
    return [this, loaded = std::move(loaded), credentials = std::move(credentials)]() mutable {
      --offloads_in_flight_;
      if (!loaded) {
        failed_to_start_ = true;
        diagnose(Diagnostic::Kind::fatal,
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
        } else if (!is_terminal(state_.status.kind)) {  // a stop cancels the refresh: nothing to say
          diagnose(Diagnostic::Kind::auth,
                   "no initial credentials: " + credentials->error() + " (connecting without)");
        }
      }
      begin_started(*loaded, expires_unix_ms);
    };
  }, Blocking::start);
}

void Driver::begin_started(std::optional<model::Cursor> checkpoint,
                           std::optional<std::int64_t> token_expires_unix_ms) {
  // stop() before the checkpoint was loaded already ended the session.
  if (is_terminal(state_.status.kind)) return;
  feed(model::Started{ports_.clock.now(), checkpoint, expiry_instant(token_expires_unix_ms)});
}

void Driver::stop() {
  if (failed_to_start_) return;  // never started: its failed status stands
  if (feeding_) {
    if (!mutated(DriverMutant::stop_dropped_while_feeding)) deferred_stop_ = true;
    return;
  }
  feed(model::StopRequested{ports_.clock.now()});
}

void Driver::ack(std::uint64_t delivery_id) {
  if (feeding_) {
    if (!deferred_ack_ || *deferred_ack_ < delivery_id) deferred_ack_ = delivery_id;
    return;
  }
  if (state_.config->resume.commit != model::CommitPolicy::on_ack) return;
  // An ack past the last delivery acks what was delivered (the model would
  // ignore the whole ack, and the entries popped here would be lost).
  std::optional<std::pair<std::uint64_t, model::Cursor>> last;
  const std::uint64_t through = delivery_id + (mutated(DriverMutant::ack_pops_one_more) ? 1 : 0);
  while (!unacked_.empty() && (mutated(DriverMutant::ack_pops_one_fewer) ? unacked_.front().first < delivery_id
                                                                         : unacked_.front().first <= through)) {
    last = unacked_.front();
    unacked_.pop_front();
  }
  if (!last) return;  // already acked, or never delivered
  feed(model::DeliveryAcked{ports_.clock.now(), last->first, last->second});
}

void Driver::on_timer() {
  if (!mutated(DriverMutant::timer_fired_still_armed)) armed_.reset();
  feed(model::Tick{ports_.clock.now()});
}

void Driver::network_restored() { feed(model::NetworkRestored{ports_.clock.now()}); }

void Driver::on_opened() { feed(model::ConnectionOpened{ports_.clock.now()}); }

void Driver::on_rejected(std::uint16_t http_status, std::optional<std::int64_t> retry_after_ms,
                         std::string_view detail) {
  connection_open_ = false;
  std::string text = "server answered HTTP " + std::to_string(http_status);
  if (!detail.empty()) text.append(": ").append(detail);
  diagnose(Diagnostic::Kind::connection, std::move(text));
  feed(model::ServerRejected{ports_.clock.now(), http_status, retry_after_ms});
}

void Driver::on_bytes() { feed(model::BytesReceived{ports_.clock.now()}); }

void Driver::on_message(const Message& message) {
  std::optional<model::Token> token;
  if (message.id) {
    const bool fits = mutated(DriverMutant::id_guard_off_by_one) ? message.id->size() < options_.id_bytes_max
                                                                 : message.id->size() <= options_.id_bytes_max;
    auto made = fits ? model::Token::make(*message.id) : std::unexpected(model::Token::Error::too_long);
    if (!made) {
      // Never truncate a resume id: a truncated id would resume elsewhere. The
      // server resends the same id after a reconnect, so retrying cannot help.
      const std::size_t size = message.id->size();
      ports_.transport.close();
      on_closed(model::CloseCause::unrecoverable,
                "event id of " + std::to_string(size) + " bytes exceeds the " +
                    std::to_string(options_.id_bytes_max) +
                    "-byte limit for resume ids (DriverOptions::id_bytes_max, tether-watch --id-bytes-max; at most " +
                    std::to_string(model::Token::capacity) + ")");
      return;
    }
    token = *made;
  }
  std::optional<std::uint64_t> sequence;
  if (options_.sequence) sequence = options_.sequence(message);
  frame_ = &message;
  frame_token_ = token;
  feed(model::FrameReceived{ports_.clock.now(), sequence, token, message.retry_ms, ++frame_ref_});
  frame_ = nullptr;
}

void Driver::on_closed(model::CloseCause cause, std::string_view detail) {
  connection_open_ = false;
  if (!detail.empty()) {
    const Diagnostic::Kind kind = cause == model::CloseCause::unrecoverable ? Diagnostic::Kind::fatal
                                  : cause == model::CloseCause::protocol_error ? Diagnostic::Kind::protocol
                                                                               : Diagnostic::Kind::connection;
    diagnose(kind, std::string(detail));
  }
  feed(model::ConnectionClosed{ports_.clock.now(), cause});
}

void Driver::on_cursor_expired() {
  diagnose(Diagnostic::Kind::connection, "the server no longer keeps the history the resume cursor names");
  feed(model::CursorExpired{ports_.clock.now()});
}

void Driver::on_replay_finished() { feed(model::ReplayFinished{ports_.clock.now()}); }

void Driver::on_notice(std::string_view text) { diagnose(Diagnostic::Kind::connection, std::string(text)); }

SequenceFn sequence_fn(SequenceExtractor extractor) {
  return [extractor = std::move(extractor)](const Message& m) {
    return extractor.extract(m.id.value_or(std::string_view{}), m.data);
  };
}

void Driver::feed(const model::Event& event) {
  feeding_ = true;
  std::optional<model::Phase> before;
  if (ports_.observer != nullptr) before = state_.phase;
  const model::Effects effects = options_.reducer(state_, event);
  // Recorded before the effects run: executing them may feed further events.
  if (ports_.recorder != nullptr) ports_.recorder->record(event, effects.span());
  ++events_fed_;
  for (const model::Effect& effect : effects) execute(effect);
  if (ports_.observer != nullptr) ports_.observer->on_step(event, *before, state_, effects);
  feeding_ = false;
  if (deferred_saved_) {
    const std::uint64_t id = *deferred_saved_;
    deferred_saved_.reset();
    feed(model::CheckpointSaved{ports_.clock.now(), id});
  }
  // One FrameReceived delivers at most once, so one slot holds its auto-ack
  // (no queue, no allocation on the streaming path).
  if (deferred_auto_ack_) {
    const auto [id, cursor] = *deferred_auto_ack_;
    deferred_auto_ack_.reset();
    feed(model::DeliveryAcked{ports_.clock.now(), id, cursor});
  }
  if (deferred_stop_ && mutated(DriverMutant::stop_before_deferred_ack)) {
    deferred_stop_ = false;
    stop();
  }
  // ack()/stop() from inside a callback, in the order a user would expect.
  if (deferred_ack_) {
    const std::uint64_t id = *deferred_ack_;
    deferred_ack_.reset();
    ack(id);
  }
  if (deferred_stop_) {
    deferred_stop_ = false;
    stop();
  }
  rearm_timer();
  // The final state, for replay to check (again if a later event arrives).
  if (ports_.recorder != nullptr && finished()) ports_.recorder->record_state(state_);
}

void Driver::rearm_timer() {
  const std::optional<model::Instant> deadline = model::next_deadline(state_);
  if (!deadline) {
    if (armed_) ports_.host.arm_timer(std::nullopt);
    armed_.reset();
    return;
  }
  // Re-arm only for an earlier deadline: on the streaming path the heartbeat
  // deadline moves with every frame, and an early Tick is harmless (the model
  // re-derives its deadlines), so a later deadline waits for the armed one.
  if (!armed_ || (*deadline < *armed_ && !mutated(DriverMutant::timer_not_rearmed_earlier))) {
    armed_ = deadline;
    ports_.host.arm_timer(deadline);
  }
}

void Driver::execute(const model::Effect& effect) {
  if (const auto* connect = std::get_if<model::Connect>(&effect)) {
    ConnectRequest request;
    request.attempt = connect->attempt;
    request.from = connect->from;
    request.cursor = connect->cursor;
    request.bearer_token = bearer_token_;
    connection_open_ = !mutated(DriverMutant::close_forgotten);
    ports_.transport.open(request, *this);
  } else if (std::holds_alternative<model::CloseConnection>(effect)) {
    if (connection_open_) ports_.transport.close();
    connection_open_ = false;
  } else if (const auto* deliver = std::get_if<model::Deliver>(&effect)) {
    if (frame_ == nullptr || deliver->frame_ref != frame_ref_) return;  // cannot happen
    Delivery delivery;
    delivery.delivery_id = deliver->delivery_id;
    delivery.sequence = deliver->sequence;
    delivery.id = frame_->id;
    delivery.type = frame_->type;
    delivery.data = frame_->data;
    const bool on_ack = state_.config->resume.commit == model::CommitPolicy::on_ack;
    if (on_ack && (frame_token_ || deliver->sequence)) {
      const model::Cursor cursor = cursor_of(frame_token_, deliver->sequence);
      if (options_.auto_ack) {
        deferred_auto_ack_ = std::pair{deliver->delivery_id, cursor};
      } else {
        unacked_.emplace_back(deliver->delivery_id, cursor);
      }
    }
    ports_.application.on_delivery(delivery);
  } else if (const auto* gap = std::get_if<model::ReportGap>(&effect)) {
    ports_.application.on_gap(*gap);
  } else if (const auto* save = std::get_if<model::SaveCheckpoint>(&effect)) {
    if (ports_.store == nullptr) {
      // Nothing to persist: durable at once, without a trip off the strand
      // (fed after this transition's effects, see feed()).
      deferred_saved_ = save->delivery_id;
      return;
    }
    ++offloads_in_flight_;
    CheckpointStore* store = ports_.store;
    ports_.host.offload([this, store, id = save->delivery_id, cursor = save->cursor]() -> Host::Completion {
      std::expected<void, CheckpointError> saved;
      if (store != nullptr) saved = store->save(cursor);
      return [this, id, saved = std::move(saved)] {
        --offloads_in_flight_;
        if (saved) {
          report_save_recovered();
          feed(model::CheckpointSaved{ports_.clock.now(), mutated(DriverMutant::saved_id_off_by_one) ? id - 1 : id});
        } else {
          report_save_failed(saved.error().message());
          feed(model::CheckpointSaveFailed{ports_.clock.now(), id});
        }
      };
    }, Blocking::checkpoint_save);
  } else if (std::holds_alternative<model::RefreshAuth>(effect)) {
    ++offloads_in_flight_;
    AuthProvider* auth = ports_.auth;
    ports_.host.offload([this, auth]() -> Host::Completion {
      std::expected<Credentials, std::string> refreshed =
          auth != nullptr ? auth->refresh()
                          : std::expected<Credentials, std::string>(
                                std::unexpect, "no auth provider configured");
      return [this, refreshed = std::move(refreshed)]() mutable {
        --offloads_in_flight_;
        if (refreshed) {
          if (!mutated(DriverMutant::bearer_not_updated)) bearer_token_ = std::move(refreshed->bearer_token);
          feed(model::AuthRefreshed{ports_.clock.now(), expiry_instant(refreshed->expires_unix_ms)});
        } else {
          diagnose(Diagnostic::Kind::auth, "credential refresh failed: " + refreshed.error());
          feed(model::AuthRefreshFailed{ports_.clock.now()});
        }
      };
    }, Blocking::credential_refresh);
  } else if (const auto* report = std::get_if<model::ReportStatus>(&effect)) {
    ports_.application.on_status(report->status);
  }
}

}  // namespace tether::io
