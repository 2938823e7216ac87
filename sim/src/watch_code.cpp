#include <memory>
#include <set>
#include <string>
#include <tether/io/line_output.hpp>
#include <tether/io/sequence_extractor.hpp>
#include <tether/sim/watch_code.hpp>

namespace tether::sim {

namespace {

// What read the process's stdout (a pipe's other end): every complete line a
// flush handed on, by its "seq". It outlives the process.
struct Reader {
  std::set<std::uint64_t> sequences;
  std::string partial;
  io::SequenceExtractor seq = io::SequenceExtractor::from_json_field("seq");

  void take(std::string_view bytes) {
    partial.append(bytes);
    std::size_t start = 0;
    for (std::size_t end = partial.find('\n'); end != std::string::npos;
         end = partial.find('\n', start)) {
      if (const auto s = seq.extract({}, std::string_view(partial).substr(start, end - start)))
        sequences.insert(*s);
      start = end + 1;
    }
    partial.erase(0, start);
  }
};

// stdout: writes wait in the buffer until a flush; a crash loses them.
class SimStdout final : public io::OutputSink {
 public:
  explicit SimStdout(Reader& reader) : reader_(reader) {}
  bool write(std::string_view bytes) override {
    buffered_.append(bytes);
    return true;
  }
  bool flush() override {
    reader_.take(buffered_);
    buffered_.clear();
    return true;
  }
  int errno_value() const override { return 0; }

 private:
  Reader& reader_;
  std::string buffered_;
};

class WatchApp final : public io::Application {
 public:
  WatchApp(Process& process, Reader& reader, WatchCodeOptions options)
      : process_(process), stdout_(reader), lines_(stdout_), options_(options) {}

  void on_delivery(const io::Delivery& d) override {
    lines_.write(d);
    if (options_.ack_when_written) process_.ack(d.delivery_id);
    if (flush_due_) return;
    flush_due_ = true;  // the main loop's next flush
    process_.after(options_.flush_after_ms, [this] { flush(); });
  }
  void on_gap(const model::ReportGap&) override {}
  void on_status(const model::Status&) override {}
  void on_diagnostic(const io::Diagnostic&) override {}

 private:
  void flush() {
    flush_due_ = false;
    if (const auto id = lines_.flush(false)) process_.ack(*id);
  }

  Process& process_;
  SimStdout stdout_;
  io::LineOutput lines_;
  WatchCodeOptions options_;
  bool flush_due_ = false;
};

class WatchCode final : public ClientCode {
 public:
  explicit WatchCode(WatchCodeOptions options) : options_(options) {}
  std::unique_ptr<io::Application> start(Process& process) override {
    return std::make_unique<WatchApp>(process, reader_, options_);
  }
  std::optional<std::string> check(const ClientView& view) override {
    if (view.durable_sequence && !reader_.sequences.contains(*view.durable_sequence))
      return "the checkpoint is at sequence " + std::to_string(*view.durable_sequence) +
             ", whose line the reader of stdout never got";
    return std::nullopt;
  }

 private:
  Reader reader_;
  WatchCodeOptions options_;
};

}  // namespace

ClientCodeFactory watch_client_code(WatchCodeOptions options) {
  return [options](std::uint32_t) { return std::make_unique<WatchCode>(options); };
}

}  // namespace tether::sim
