#include <tether/sim/client_code.hpp>

namespace tether::sim {

namespace {

// Acks each delivery that carries a sequence, at once or after a delay; an
// application with nothing to persist.
class BuiltinApplication final : public io::Application {
 public:
  BuiltinApplication(Process& process, Ms ack_delay_ms, bool acks)
      : process_(process), ack_delay_ms_(ack_delay_ms), acks_(acks) {}

  void on_delivery(const io::Delivery& delivery) override {
    if (!acks_ || !delivery.sequence) return;
    // Done when the callback returns: the ack from inside it (the driver takes
    // it once the step's effects have run); a slower application later.
    if (ack_delay_ms_ == 0) return process_.ack(delivery.delivery_id);
    const std::uint64_t id = delivery.delivery_id;
    Process& process = process_;
    process_.after(ack_delay_ms_, [&process, id] { process.ack(id); });
  }
  void on_gap(const model::ReportGap&) override {}
  void on_status(const model::Status&) override {}
  void on_diagnostic(const io::Diagnostic&) override {}

 private:
  Process& process_;
  Ms ack_delay_ms_;
  bool acks_;
};

class BuiltinClientCode final : public ClientCode {
 public:
  BuiltinClientCode(Ms ack_delay_ms, bool acks) : ack_delay_ms_(ack_delay_ms), acks_(acks) {}
  std::unique_ptr<io::Application> start(Process& process) override {
    return std::make_unique<BuiltinApplication>(process, ack_delay_ms_, acks_);
  }

 private:
  Ms ack_delay_ms_;
  bool acks_;
};

}  // namespace

std::unique_ptr<ClientCode> builtin_client_code(Ms ack_delay_ms, bool acks) {
  return std::make_unique<BuiltinClientCode>(ack_delay_ms, acks);
}

}  // namespace tether::sim
