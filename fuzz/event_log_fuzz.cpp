// Fuzz target for the recorded-session event log (<tether/model/event_log.hpp>):
// any bytes, decoded as one line, as a whole log and as a recording (format 1
// or 2), give events or an error naming its line, column and field (never a
// crash, never an exception); a line that decodes re-encodes to a line that
// decodes to the same event, re-encoding that is a fixed point, and a decoded
// recording re-encodes to one with the same header, steps and state lines.
//
// Built with replay_main.cpp for any compiler (ctest replays
// fuzz/corpus/event_log/), and as a libFuzzer binary with TETHER_FUZZ_LIBFUZZER.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <tether/model/event_log.hpp>

namespace {

[[noreturn]] void report(const char* what, std::string_view detail) {
  std::fprintf(stderr, "\ntether event log fuzz: %s\n%.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::fflush(stderr);
  std::abort();
}

void check_line(std::string_view line) {
  const auto decoded = tether::model::decode_event(line);
  if (!decoded) {
    const auto& e = decoded.error();
    if (e.field.empty() || e.reason.empty() || e.column == 0 || e.column > line.size() + 1)
      report("an error without a field, a reason or a column in the line", line);
    return;
  }
  const std::string text = tether::model::encode_event(*decoded);
  const auto again = tether::model::decode_event(text);
  if (!again)
    report("encode_event wrote a line decode_event refuses", again.error().message() + "\n" + text);
  if (!tether::model::same_event(*again, *decoded))
    report("the round trip changed the event", text);
  if (tether::model::encode_event(*again) != text) report("re-encoding is not a fixed point", text);
}

void check_recording(std::string_view bytes) {
  namespace model = tether::model;
  const auto r = model::decode_recording(bytes);
  if (!r) {
    if (r.error().line == 0 || r.error().column == 0 || r.error().field.empty() ||
        r.error().reason.empty())
      report("a recording error without a line, column, field or reason", bytes);
    return;
  }
  const auto text = model::encode_recording(*r);
  if (!text) report("encode_recording refused a decoded recording", text.error().message());
  const auto again = model::decode_recording(*text);
  if (!again)
    report("encode_recording wrote a recording decode_recording refuses",
           again.error().message() + "\n" + *text);
  if (again->format != r->format || again->header != r->header)
    report("the round trip changed the header", *text);
  if (again->steps.size() != r->steps.size() || again->states.size() != r->states.size())
    report("the round trip changed the step or state count", *text);
  for (std::size_t i = 0; i < r->steps.size(); ++i)
    if (!model::same_event(again->steps[i].event, r->steps[i].event) ||
        again->steps[i].effects != r->steps[i].effects)
      report("the round trip changed a step", *text);
  for (std::size_t i = 0; i < r->states.size(); ++i)
    if (again->states[i].check != r->states[i].check ||
        again->states[i].after_steps != r->states[i].after_steps)
      report("the round trip changed a state line", *text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // Every line on its own (the header line simply fails to decode as an event).
  std::size_t pos = 0;
  while (pos <= bytes.size()) {
    const std::size_t nl = bytes.find('\n', pos);
    const std::size_t end = nl == std::string_view::npos ? bytes.size() : nl;
    check_line(bytes.substr(pos, end - pos));
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  // As a recording (format 1 or 2): a decoded recording re-encodes to one that
  // decodes to the same header, steps, effects and state lines.
  check_recording(bytes);
  // And as a whole log: a decoded log re-encodes to a log with the same events.
  const auto log = tether::model::decode_log(bytes);
  if (!log) {
    if (log.error().line == 0 || log.error().field.empty())
      report("a log error without a line or field", bytes);
    return 0;
  }
  const std::string text = tether::model::encode_log(*log);
  const auto again = tether::model::decode_log(text);
  if (!again)
    report("encode_log wrote a log decode_log refuses", again.error().message() + "\n" + text);
  if (again->size() != log->size()) report("the log round trip changed the event count", text);
  for (std::size_t i = 0; i < log->size(); ++i)
    if (!tether::model::same_event((*again)[i], (*log)[i]))
      report("the log round trip changed an event", text);
  return 0;
}
