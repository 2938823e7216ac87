#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <system_error>
#include <tether/model/effects_hash.hpp>
#include <tether/model/event_log.hpp>
#include <tether/model/names.hpp>
#include <type_traits>
#include <utility>

#include "log_text.hpp"

namespace tether::model {

namespace {

using log_text::cursor_kind_names;
using log_text::plain_token_byte;
using log_text::Writer;

constexpr std::array<CloseCause, 5> close_causes{
    CloseCause::clean_close, CloseCause::unexpected_eof, CloseCause::transport_error,
    CloseCause::protocol_error, CloseCause::unrecoverable};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// --- decoding ---------------------------------------------------------------------

// Reads one line field by field. After the first error every call is a no-op that
// returns a default value; the caller checks failed() once at the end.
class Reader {
 public:
  explicit Reader(std::string_view line) : line_(line) {}

  bool failed() const { return error_.has_value(); }
  EventLogError take_error() { return std::move(*error_); }

  void fail(std::string_view field, std::size_t column, std::string reason) {
    if (error_) return;
    error_ = EventLogError{0, column, std::string(field), std::move(reason)};
  }

  // The next space-separated piece, or nullopt at the end of the line.
  std::optional<std::string_view> piece(std::string_view field) {
    if (error_) return std::nullopt;
    if (pos_ >= line_.size()) return std::nullopt;
    if (pos_ > 0) {
      // pos_ is at the separator after the previous piece.
      ++pos_;
      if (pos_ >= line_.size()) {
        fail(field, pos_, "a trailing space");
        return std::nullopt;
      }
    }
    column_ = pos_ + 1;
    const std::size_t end = std::min(line_.find(' ', pos_), line_.size());
    if (end == pos_) {
      fail(field, column_, "two spaces in a row (fields are separated by one space)");
      return std::nullopt;
    }
    const std::string_view p = line_.substr(pos_, end - pos_);
    pos_ = end;
    return p;
  }

  // The value of `key=value`; the key must be `key`.
  std::string_view value(std::string_view key) {
    const auto p = piece(key);
    if (!p) {
      if (!error_) fail(key, line_.size() + 1, "missing (the line ends here)");
      return {};
    }
    const std::size_t eq = p->find('=');
    if (eq == std::string_view::npos) {
      fail(key, column_,
           "expected '" + std::string(key) + "=<value>', found '" + std::string(*p) + "'");
      return {};
    }
    const std::string_view found = p->substr(0, eq);
    if (found != key) {
      fail(key, column_,
           "expected field '" + std::string(key) + "', found unknown or misplaced field '" +
               std::string(found) + "'");
      return {};
    }
    value_column_ = column_ + eq + 1;
    return p->substr(eq + 1);
  }

  template <class Int>
  Int number_text(std::string_view field, std::string_view text, std::size_t column) {
    if (error_) return Int{};
    Int v{};
    const char* first = text.data();
    const char* last = text.data() + text.size();
    const auto r = std::from_chars(first, last, v);
    if (text.empty() || r.ec == std::errc::invalid_argument ||
        (r.ec == std::errc{} && r.ptr != last)) {
      fail(field, column,
           std::string(std::is_signed_v<Int> ? "expected an integer"
                                             : "expected an unsigned integer") +
               ", found '" + std::string(text) + "'");
      return Int{};
    }
    if (r.ec == std::errc::result_out_of_range) {
      fail(field, column,
           "'" + std::string(text) + "' is out of range (" +
               std::to_string(std::numeric_limits<Int>::min()) + " .. " +
               std::to_string(std::numeric_limits<Int>::max()) + ")");
      return Int{};
    }
    return v;
  }

  template <class Int>
  Int number(std::string_view key) {
    const std::string_view v = value(key);
    return number_text<Int>(key, v, value_column_);
  }

  // A field added after recordings were first written: `key=<number>` if the
  // next piece is one, else `absent` (an older line), consuming nothing.
  template <class Int>
  Int added_number(std::string_view key, Int absent) {
    if (error_ || pos_ >= line_.size()) return absent;
    const std::string_view next = line_.substr(pos_ + (pos_ > 0 ? 1 : 0));
    if (!(next.starts_with(key) && next.substr(key.size()).starts_with('='))) return absent;
    return number<Int>(key);
  }

  template <class Int>
  std::optional<Int> optional_number(std::string_view key) {
    const std::string_view v = value(key);
    if (error_ || v == "-") return std::nullopt;
    return number_text<Int>(key, v, value_column_);
  }

  Token token_text(std::string_view field, std::string_view text, std::size_t column) {
    if (error_) return {};
    std::array<char, Token::capacity> bytes{};
    std::size_t n = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
      char c = text[i];
      if (c == '%') {
        const int hi = i + 1 < text.size() ? hex_value(text[i + 1]) : -1;
        const int lo = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
        if (hi < 0 || lo < 0) {
          fail(field, column + i, "a '%' not followed by two hex digits");
          return {};
        }
        c = static_cast<char>(hi * 16 + lo);
        i += 2;
      } else if (!plain_token_byte(c)) {
        fail(field, column + i, "a byte that must be percent-encoded");
        return {};
      }
      if (n == bytes.size()) {
        fail(field, column, "longer than " + std::to_string(Token::capacity) + " bytes");
        return {};
      }
      bytes[n++] = c;
    }
    const auto t = Token::make(std::string_view(bytes.data(), n));
    if (!t) {
      fail(field, column, "longer than " + std::to_string(Token::capacity) + " bytes");
      return {};
    }
    return *t;
  }

  std::optional<Token> optional_token(std::string_view key) {
    const std::string_view v = value(key);
    if (error_ || v == "-") return std::nullopt;
    return token_text(key, v, value_column_);
  }

  bool flag(std::string_view key) {
    const std::string_view v = value(key);
    if (error_) return false;
    if (v == "0") return false;
    if (v == "1") return true;
    fail(key, value_column_, "expected 0 or 1, found '" + std::string(v) + "'");
    return false;
  }

  CloseCause cause(std::string_view key) {
    const std::string_view v = value(key);
    if (error_) return {};
    for (const CloseCause c : close_causes)
      if (name_of(c) == v) return c;
    fail(key, value_column_, "unknown close cause '" + std::string(v) + "'");
    return {};
  }

  // `key=<kind|->` and, when present, key.seq / key.has_seq / key.start / key.token.
  std::optional<Cursor> cursor(std::string_view key, bool optional) {
    const std::string_view v = value(key);
    if (error_) return std::nullopt;
    if (optional && v == "-") return std::nullopt;
    Cursor c;
    bool known = false;
    for (std::size_t i = 0; i < cursor_kind_names.size(); ++i) {
      if (cursor_kind_names[i] == v) {
        c.kind = static_cast<CursorKind>(i);
        known = true;
      }
    }
    if (!known) {
      fail(key, value_column_, "unknown cursor kind '" + std::string(v) + "'");
      return std::nullopt;
    }
    const std::string p(key);
    c.sequence = number<std::uint64_t>(p + ".seq");
    c.has_sequence = flag(p + ".has_seq");
    c.start_time_ms = number<std::int64_t>(p + ".start");
    const std::string tk = p + ".token";
    const std::string_view tv = value(tk);
    c.token = token_text(tk, tv, value_column_);
    if (error_) return std::nullopt;
    return c;
  }

  // `key=<16 lowercase hex digits>` (a hash as effects_hash() writes it).
  std::uint64_t hex64(std::string_view key) {
    const std::string_view v = value(key);
    if (error_) return 0;
    std::uint64_t h = 0;
    bool ok = v.size() == 16;
    for (std::size_t i = 0; ok && i < v.size(); ++i) {
      const int d = hex_value(v[i]);
      ok = d >= 0 && !(v[i] >= 'A' && v[i] <= 'F');
      h = (h << 4) | static_cast<std::uint64_t>(d < 0 ? 0 : d);
    }
    if (!ok)
      fail(key, value_column_, "expected 16 lowercase hex digits, found '" + std::string(v) + "'");
    return ok ? h : 0;
  }

  // `key=<effect names joined by ','|->`, as effect_kinds() writes it.
  std::string effect_names(std::string_view key);

  // `key=<name>` where name_of(E) of one of the enum's values is the name.
  template <class E>
  E enum_value(std::string_view key, std::string_view what) {
    const std::string_view v = value(key);
    if (error_) return E{};
    for (unsigned i = 0; i < 256; ++i) {
      const auto e = static_cast<E>(i);
      const std::string_view n = name_of(e);
      if (n == "unknown") break;
      if (n == v) return e;
    }
    fail(key, value_column_, "unknown " + std::string(what) + " '" + std::string(v) + "'");
    return E{};
  }

  // The rest of the line after the separator that follows the last piece.
  std::string_view rest(std::string_view field) {
    if (error_) return {};
    if (pos_ + 1 >= line_.size()) {
      fail(field, line_.size() + 1, "missing (the line ends here)");
      return {};
    }
    column_ = pos_ + 2;
    const std::string_view r = line_.substr(pos_ + 1);
    pos_ = line_.size();
    return r;
  }
  std::size_t column() const { return column_; }

  void end() {
    if (error_ || pos_ >= line_.size()) return;
    fail("end of line", pos_ + 1,
         "unexpected text after the last field: '" + std::string(line_.substr(pos_)) + "'");
  }

 private:
  std::string_view line_;
  std::size_t pos_ = 0;
  std::size_t column_ = 1;
  std::size_t value_column_ = 1;
  std::optional<EventLogError> error_;
};

template <class T>
concept OnlyNow = std::is_same_v<T, StopRequested> || std::is_same_v<T, Tick> ||
                  std::is_same_v<T, ConnectionOpened> || std::is_same_v<T, BytesReceived> ||
                  std::is_same_v<T, CursorExpired> || std::is_same_v<T, ReplayFinished> ||
                  std::is_same_v<T, NetworkRestored> || std::is_same_v<T, PauseRequested> ||
                  std::is_same_v<T, ResumeRequested>;

template <class T>
Event read_event(Reader& r, Instant now) {
  if constexpr (OnlyNow<T>) {
    return T{now};
  } else if constexpr (std::is_same_v<T, Started>) {
    Started e{now, std::nullopt, std::nullopt};
    e.checkpoint = r.cursor("checkpoint", true);
    const auto at = r.optional_number<std::int64_t>("token_expires_at");
    if (at) e.token_expires_at = Instant{*at};
    return e;
  } else if constexpr (std::is_same_v<T, ConnectionClosed>) {
    return ConnectionClosed{now, r.cause("cause")};
  } else if constexpr (std::is_same_v<T, ServerRejected>) {
    ServerRejected e{now, 0, std::nullopt};
    e.http_status = r.number<std::uint16_t>("status");
    e.retry_after_ms = r.optional_number<std::int64_t>("retry_after");
    return e;
  } else if constexpr (std::is_same_v<T, FrameReceived>) {
    FrameReceived e{now, std::nullopt, std::nullopt, std::nullopt, 0};
    e.sequence = r.optional_number<std::uint64_t>("seq");
    e.id = r.optional_token("id");
    e.retry_ms = r.optional_number<std::int64_t>("retry");
    e.frame_ref = r.number<std::uint64_t>("ref");
    return e;
  } else if constexpr (std::is_same_v<T, DeliveryAcked>) {
    DeliveryAcked e{now, 0, Cursor{}};
    e.delivery_id = r.number<std::uint64_t>("delivery");
    if (const auto c = r.cursor("cursor", false)) e.cursor = *c;
    return e;
  } else if constexpr (std::is_same_v<T, AuthRefreshed>) {
    AuthRefreshed e{now, std::nullopt};
    const auto at = r.optional_number<std::int64_t>("expires_at");
    if (at) e.expires_at = Instant{*at};
    // Absent in recordings made before requests were numbered: 0 answers the
    // refresh out, which is what those sessions did.
    e.request = r.added_number<std::uint32_t>("request", 0);
    return e;
  } else if constexpr (std::is_same_v<T, AuthRefreshFailed>) {
    return AuthRefreshFailed{now, r.added_number<std::uint32_t>("request", 0)};
  } else if constexpr (std::is_same_v<T, ReconnectRequested>) {
    return ReconnectRequested{now, r.enum_value<ReconnectWhy>("why", "reconnect reason")};
  } else {
    static_assert(std::is_same_v<T, CheckpointSaved> || std::is_same_v<T, CheckpointSaveFailed>);
    return T{now, r.number<std::uint64_t>("delivery")};
  }
}

using Decoder = Event (*)(Reader&, Instant);

template <std::size_t... I>
constexpr std::array<Decoder, sizeof...(I)> make_decoders(std::index_sequence<I...>) {
  return {&read_event<std::variant_alternative_t<I, Event>>...};
}

constexpr auto decoders = make_decoders(std::make_index_sequence<std::variant_size_v<Event>>{});

// Default values of every alternative of a variant (for their names).
template <class V, std::size_t... I>
std::array<V, sizeof...(I)> make_prototypes(std::index_sequence<I...>) {
  return {V{std::in_place_index<I>}...};
}

template <class V>
std::optional<std::size_t> alternative_named(std::string_view name) {
  static const auto prototypes =
      make_prototypes<V>(std::make_index_sequence<std::variant_size_v<V>>{});
  for (std::size_t i = 0; i < prototypes.size(); ++i)
    if (name_of(prototypes[i]) == name) return i;
  return std::nullopt;
}

template <class V>
std::string_view alternative_name(std::size_t index) {
  static const auto prototypes =
      make_prototypes<V>(std::make_index_sequence<std::variant_size_v<V>>{});
  return index < prototypes.size() ? name_of(prototypes[index]) : std::string_view{"unknown"};
}

bool same_cursor(const std::optional<Cursor>& a, const std::optional<Cursor>& b) { return a == b; }

// --- the header lines ------------------------------------------------------------------

constexpr std::array<std::string_view, 4> header_keywords{"@version", "@seed", "@clock", "@config"};

bool version_byte(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' ||
         c == '+' || c == '_' || c == '-';
}

// Why `v` cannot be a header version (and the 0-based offset of the culprit), or nullopt.
std::optional<std::pair<std::size_t, std::string>> bad_version(std::string_view v) {
  if (v.empty()) return std::pair{std::size_t{0}, std::string("empty")};
  if (v.size() > event_log_version_bytes_max)
    return std::pair{std::size_t{0},
                     "longer than " + std::to_string(event_log_version_bytes_max) + " bytes"};
  for (std::size_t i = 0; i < v.size(); ++i)
    if (!version_byte(v[i])) return std::pair{i, std::string("a byte outside [0-9A-Za-z.+_-]")};
  return std::nullopt;
}

// Likewise for the configuration: one line of JSON object text.
std::optional<std::pair<std::size_t, std::string>> bad_config(std::string_view v) {
  if (v.size() > event_log_config_bytes_max)
    return std::pair{std::size_t{0},
                     "longer than " + std::to_string(event_log_config_bytes_max) + " bytes"};
  if (v.size() < 2 || v.front() != '{' || v.back() != '}')
    return std::pair{std::size_t{0}, std::string("expected a JSON object ('{...}') on one line")};
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto b = static_cast<unsigned char>(v[i]);
    if (b < 0x20 || b == 0x7f)
      return std::pair{i, std::string("a control byte (the configuration is one line)")};
  }
  return std::nullopt;
}

// Reads header line `which` (an index into header_keywords) into `h`. The
// keyword has been read.
void read_header_line(Reader& r, std::size_t which, RecordingHeader& h) {
  if (which == 0) {
    const auto v = r.piece("version");
    if (!v) {
      r.fail("version", r.column() + header_keywords[0].size(),
             "missing (expected '@version <version>')");
      return;
    }
    if (const auto bad = bad_version(*v)) r.fail("version", r.column() + bad->first, bad->second);
    h.version = std::string(*v);
  } else if (which == 1) {
    const auto v = r.piece("seed");
    if (!v) {
      r.fail("seed", r.column() + header_keywords[1].size(),
             "missing (expected '@seed <unsigned integer>')");
      return;
    }
    h.seed = r.number_text<std::uint64_t>("seed", *v, r.column());
  } else if (which == 2) {
    h.clock.unix_ms = r.number<std::int64_t>("unix_ms");
    h.clock.at = Instant{r.number<std::int64_t>("at_ms")};
  } else {
    const std::string_view v = r.rest("config");
    if (r.failed()) return;
    if (const auto bad = bad_config(v)) r.fail("config", r.column() + bad->first, bad->second);
    h.config = std::string(v);
  }
  r.end();
}

StateCheck read_state(Reader& r) {
  StateCheck c;
  const std::string_view phase = r.value("phase");
  if (!r.failed()) {
    const auto index = alternative_named<Phase>(phase);
    if (index)
      c.phase = *index;
    else
      r.fail("phase", r.column() + 6, "unknown phase '" + std::string(phase) + "'");
  }
  c.status.kind = r.enum_value<StatusKind>("status", "status");
  c.status.reason = r.enum_value<Reason>("reason", "reason");
  c.status.failures = r.number<std::uint32_t>("failures");
  c.status.next_attempt_at = Instant{r.number<std::int64_t>("next_attempt_at")};
  c.status.http_status = r.number<std::uint16_t>("http_status");
  c.delivered_id = r.number<std::uint64_t>("delivered");
  c.durable_id = r.number<std::uint64_t>("durable");
  r.end();
  return c;
}

// One event line; with `effects`, format 2's `effects=` and `hash=` follow the event's fields.
std::expected<Event, EventLogError> decode_line(std::string_view line,
                                                std::optional<RecordedEffects>* effects) {
  Reader r(line);
  const auto now_text = r.piece("now");
  if (!now_text) {
    if (!r.failed()) r.fail("now", 1, "an empty line (expected '<now ms> <event> ...')");
    return std::unexpected(r.take_error());
  }
  const auto now = r.number_text<std::int64_t>("now", *now_text, 1);
  const std::size_t name_column = std::min(now_text->size() + 2, line.size() + 1);
  const auto name = r.piece("event");
  if (r.failed()) return std::unexpected(r.take_error());
  if (!name) {
    r.fail("event", name_column, "missing (expected an event name after the time)");
    return std::unexpected(r.take_error());
  }
  const auto index = alternative_named<Event>(*name);
  if (!index) {
    r.fail("event", name_column, "unknown event '" + std::string(*name) + "'");
    return std::unexpected(r.take_error());
  }
  Event e = decoders[*index](r, Instant{now});
  if (effects != nullptr) {
    RecordedEffects recorded;
    recorded.kinds = r.effect_names("effects");
    recorded.hash = r.hex64("hash");
    *effects = std::move(recorded);
  }
  r.end();
  if (r.failed()) return std::unexpected(r.take_error());
  return e;
}

EventLogError at_line(EventLogError e, std::size_t line) {
  e.line = line;
  return e;
}

// Decodes the lines after the first; `format` says what they may be.
class RecordingDecoder {
 public:
  explicit RecordingDecoder(int format) { recording_.format = format; }

  std::optional<EventLogError> line(std::string_view text, std::size_t line_no) {
    if (!text.empty() && text.front() == '#') return std::nullopt;
    if (recording_.format == 2 && !text.empty() && text.front() == '@')
      return directive(text, line_no);
    if (recording_.format == 2 && header_done_ < header_keywords.size())
      return missing_header(line_no, "before the first event");
    std::optional<RecordedEffects> effects;
    auto e = decode_line(text, recording_.format == 2 ? &effects : nullptr);
    if (!e) return at_line(std::move(e.error()), line_no);
    recording_.steps.push_back(RecordedStep{*e, line_no, std::move(effects)});
    return std::nullopt;
  }

  std::expected<Recording, EventLogError> finish(std::size_t lines) && {
    if (recording_.format == 2 && header_done_ < header_keywords.size())
      return std::unexpected(*missing_header(lines + 1, "(the recording ends here)"));
    return std::move(recording_);
  }

 private:
  std::optional<EventLogError> missing_header(std::size_t line_no, std::string_view where) const {
    const std::string_view next = header_keywords[header_done_];
    return EventLogError{line_no, 1, std::string(next.substr(1)),
                         "missing '" + std::string(next) + "' line " + std::string(where) +
                             " (the header is @version, @seed, @clock, @config, in this order)"};
  }

  std::optional<EventLogError> directive(std::string_view text, std::size_t line_no) {
    Reader r(text);
    const std::string_view keyword = r.piece("header").value_or(std::string_view{});
    if (r.failed()) return at_line(r.take_error(), line_no);
    const std::size_t known = static_cast<std::size_t>(
        std::find(header_keywords.begin(), header_keywords.end(), keyword) -
        header_keywords.begin());
    if (header_done_ < header_keywords.size()) {
      if (known != header_done_) {
        EventLogError e = *missing_header(line_no, "here");
        e.reason += ", found '" + std::string(keyword) + "'";
        return e;
      }
      if (!recording_.header) recording_.header.emplace();
      read_header_line(r, known, *recording_.header);
      if (r.failed()) return at_line(r.take_error(), line_no);
      ++header_done_;
      return std::nullopt;
    }
    if (keyword == "@state") {
      const StateCheck check = read_state(r);
      if (r.failed()) return at_line(r.take_error(), line_no);
      recording_.states.push_back(RecordedState{line_no, recording_.steps.size(), check});
      return std::nullopt;
    }
    const std::string reason =
        known < header_keywords.size()
            ? "a second '" + std::string(keyword) + "' line (each header line appears once)"
            : "unknown line '" + std::string(keyword) + "' (expected '@state' or an event)";
    return EventLogError{line_no, 1, "header", reason};
  }

  Recording recording_;
  std::size_t header_done_ = 0;  // header lines read so far (format 2)
};

std::string Reader::effect_names(std::string_view key) {
  const std::string_view v = value(key);
  if (error_) return {};
  if (v == "-") return std::string(v);
  std::size_t count = 0;
  std::size_t start = 0;
  while (start <= v.size()) {
    const std::size_t comma = std::min(v.find(',', start), v.size());
    const std::string_view name = v.substr(start, comma - start);
    if (!alternative_named<Effect>(name)) {
      fail(key, value_column_ + start,
           name.empty()
               ? std::string("an empty effect name (names are joined by one ',', '-' for none)")
               : "unknown effect '" + std::string(name) + "'");
      return {};
    }
    if (++count > effects_max) {
      fail(key, value_column_, "more than " + std::to_string(effects_max) + " effects in one step");
      return {};
    }
    start = comma + 1;
  }
  return std::string(v);
}

// ` hash=<16 lowercase hex digits>`
void append_hash(std::string& out, std::uint64_t hash) {
  out += " hash=";
  static constexpr char digits[] = "0123456789abcdef";
  for (int shift = 60; shift >= 0; shift -= 4) out += digits[(hash >> shift) & 0xF];
}

std::string step_line(const Event& event, std::string_view kinds, std::uint64_t hash) {
  std::string line = encode_event(event);
  line += " effects=";
  line += kinds;
  append_hash(line, hash);
  return line;
}

}  // namespace

std::int64_t WallClockAnchor::unix_ms_of(Instant t) const noexcept {
  // Saturating: a hostile anchor must not overflow.
  std::int64_t offset = 0;
  if (__builtin_sub_overflow(t.ms, at.ms, &offset))
    return t.ms > at.ms ? std::numeric_limits<std::int64_t>::max()
                        : std::numeric_limits<std::int64_t>::min();
  std::int64_t out = 0;
  if (__builtin_add_overflow(unix_ms, offset, &out))
    return offset > 0 ? std::numeric_limits<std::int64_t>::max()
                      : std::numeric_limits<std::int64_t>::min();
  return out;
}

std::string EventLogError::message() const {
  std::string s;
  if (line > 0) s += "line " + std::to_string(line) + ", ";
  s += "column " + std::to_string(column) + ", field '" + field + "': " + reason;
  return s;
}

StateCheck state_check_of(const State& state) {
  return StateCheck{state.phase.index(), state.status, state.progress.delivered_id,
                    state.progress.durable_id};
}

std::string describe(const StateCheck& check) {
  std::string out;
  Writer w(out);
  w.out += "phase=";
  w.out += alternative_name<Phase>(check.phase);
  w.name("status", name_of(check.status.kind));
  w.name("reason", name_of(check.status.reason));
  w.field("failures", check.status.failures);
  w.field("next_attempt_at", check.status.next_attempt_at.ms);
  w.field("http_status", check.status.http_status);
  w.field("delivered", check.delivered_id);
  w.field("durable", check.durable_id);
  return out;
}

std::string encode_state(const StateCheck& check) { return "@state " + describe(check); }

std::expected<std::string, EventLogError> encode_header(const RecordingHeader& header) {
  if (const auto bad = bad_version(header.version))
    return std::unexpected(
        EventLogError{2, header_keywords[0].size() + 2 + bad->first, "version", bad->second});
  if (const auto bad = bad_config(header.config))
    return std::unexpected(
        EventLogError{5, header_keywords[3].size() + 2 + bad->first, "config", bad->second});
  std::string out;
  Writer w(out);
  w.out += event_log_header;
  w.out += "\n@version ";
  w.out += header.version;
  w.out += "\n@seed ";
  w.number(header.seed);
  w.out += "\n@clock";
  w.field("unix_ms", header.clock.unix_ms);
  w.field("at_ms", header.clock.at.ms);
  w.out += "\n@config ";
  w.out += header.config;
  w.out += '\n';
  return out;
}

std::string encode_step(const Event& event, std::span<const Effect> effects) {
  std::string out;
  append_step(out, event, effects, effects_hash(effects));
  return out;
}

void append_step(std::string& out, const Event& event, std::span<const Effect> effects,
                 std::uint64_t hash) {
  append_event(out, event);
  out += " effects=";
  if (effects.empty()) out += '-';
  for (std::size_t i = 0; i < effects.size(); ++i) {
    if (i > 0) out += ',';
    out += name_of(effects[i]);
  }
  append_hash(out, hash);
}

std::expected<std::string, EventLogError> encode_recording(const Recording& recording) {
  if (recording.format == 1) {
    std::vector<Event> events;
    events.reserve(recording.steps.size());
    for (const RecordedStep& s : recording.steps) events.push_back(s.event);
    return encode_log(events);
  }
  if (recording.format != 2)
    return std::unexpected(EventLogError{1, 1, "header", "format must be 1 or 2"});
  if (!recording.header)
    return std::unexpected(EventLogError{2, 1, "header", "format 2 needs a header"});
  auto out = encode_header(*recording.header);
  if (!out) return out;
  std::size_t line = 5;
  std::size_t state = 0;
  for (std::size_t i = 0; i <= recording.steps.size(); ++i) {
    for (; state < recording.states.size() && recording.states[state].after_steps <= i; ++state) {
      if (recording.states[state].after_steps < i)
        return std::unexpected(
            EventLogError{line + 1, 1, "header", "@state lines out of order (after_steps)"});
      *out += encode_state(recording.states[state].check);
      *out += '\n';
      ++line;
    }
    if (i == recording.steps.size()) break;
    const RecordedStep& s = recording.steps[i];
    if (!s.effects)
      return std::unexpected(
          EventLogError{line + 1, 1, "effects", "a format-2 step without its effects"});
    *out += step_line(s.event, s.effects->kinds, s.effects->hash);
    *out += '\n';
    ++line;
  }
  if (state < recording.states.size())
    return std::unexpected(
        EventLogError{line + 1, 1, "header", "a @state line after more steps than recorded"});
  return out;
}

std::expected<Recording, EventLogError> decode_recording(std::string_view text) {
  std::size_t line_no = 0;
  std::size_t pos = 0;
  std::optional<RecordingDecoder> decoder;
  while (pos < text.size()) {
    const std::size_t nl = text.find('\n', pos);
    const std::size_t end = nl == std::string_view::npos ? text.size() : nl;
    std::string_view line = text.substr(pos, end - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!decoder) {
      if (line != event_log_header && line != event_log_header_v1)
        return std::unexpected(EventLogError{line_no, 1, "header",
                                             "expected '" + std::string(event_log_header) +
                                                 "' (or '" + std::string(event_log_header_v1) +
                                                 "') as the first line"});
      decoder.emplace(line == event_log_header ? 2 : 1);
      continue;
    }
    if (auto error = decoder->line(line, line_no)) return std::unexpected(std::move(*error));
  }
  if (!decoder)
    return std::unexpected(EventLogError{
        1, 1, "header",
        "an empty log (expected '" + std::string(event_log_header) + "' as the first line)"});
  return std::move(*decoder).finish(line_no);
}

std::string encode_event(const Event& event) {
  std::string out;
  append_event(out, event);
  return out;
}

void append_event(std::string& out, const Event& event) {
  Writer w(out);
  w.number(time_of(event).ms);
  w.out += ' ';
  w.out += name_of(event);
  std::visit(
      [&w](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, Started>) {
          if (e.checkpoint) {
            w.cursor("checkpoint", *e.checkpoint);
          } else {
            w.key("checkpoint");
            w.out += '-';
          }
          w.field("token_expires_at", e.token_expires_at
                                          ? std::optional<std::int64_t>(e.token_expires_at->ms)
                                          : std::nullopt);
        } else if constexpr (std::is_same_v<T, ConnectionClosed>) {
          w.key("cause");
          w.out += name_of(e.cause);
        } else if constexpr (std::is_same_v<T, ServerRejected>) {
          w.field("status", e.http_status);
          w.field("retry_after", e.retry_after_ms);
        } else if constexpr (std::is_same_v<T, FrameReceived>) {
          w.field("seq", e.sequence);
          w.key("id");
          if (e.id)
            w.token(*e.id);
          else
            w.out += '-';
          w.field("retry", e.retry_ms);
          w.field("ref", e.frame_ref);
        } else if constexpr (std::is_same_v<T, DeliveryAcked>) {
          w.field("delivery", e.delivery_id);
          w.cursor("cursor", e.cursor);
        } else if constexpr (std::is_same_v<T, AuthRefreshed>) {
          w.field("expires_at",
                  e.expires_at ? std::optional<std::int64_t>(e.expires_at->ms) : std::nullopt);
          w.field("request", e.request);
        } else if constexpr (std::is_same_v<T, AuthRefreshFailed>) {
          w.field("request", e.request);
        } else if constexpr (std::is_same_v<T, ReconnectRequested>) {
          w.name("why", name_of(e.why));
        } else if constexpr (std::is_same_v<T, CheckpointSaved> ||
                             std::is_same_v<T, CheckpointSaveFailed>) {
          w.field("delivery", e.delivery_id);
        }
      },
      event);
}

std::expected<Event, EventLogError> decode_event(std::string_view line) {
  return decode_line(line, nullptr);
}

std::string encode_log(std::span<const Event> events) {
  std::string out(event_log_header_v1);
  out += '\n';
  for (const Event& e : events) {
    out += encode_event(e);
    out += '\n';
  }
  return out;
}

std::expected<std::vector<Event>, EventLogError> decode_log(std::string_view text) {
  auto recording = decode_recording(text);
  if (!recording) return std::unexpected(std::move(recording.error()));
  std::vector<Event> events;
  events.reserve(recording->steps.size());
  for (RecordedStep& s : recording->steps) events.push_back(std::move(s.event));
  return events;
}

bool same_event(const Event& a, const Event& b) noexcept {
  if (a.index() != b.index()) return false;
  return std::visit(
      [&b](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        const T& y = std::get<T>(b);
        if (x.now != y.now) return false;
        if constexpr (std::is_same_v<T, Started>) {
          return same_cursor(x.checkpoint, y.checkpoint) &&
                 x.token_expires_at == y.token_expires_at;
        } else if constexpr (std::is_same_v<T, ConnectionClosed>) {
          return x.cause == y.cause;
        } else if constexpr (std::is_same_v<T, ServerRejected>) {
          return x.http_status == y.http_status && x.retry_after_ms == y.retry_after_ms;
        } else if constexpr (std::is_same_v<T, FrameReceived>) {
          return x.sequence == y.sequence && x.id == y.id && x.retry_ms == y.retry_ms &&
                 x.frame_ref == y.frame_ref;
        } else if constexpr (std::is_same_v<T, DeliveryAcked>) {
          return x.delivery_id == y.delivery_id && x.cursor == y.cursor;
        } else if constexpr (std::is_same_v<T, AuthRefreshed>) {
          return x.expires_at == y.expires_at && x.request == y.request;
        } else if constexpr (std::is_same_v<T, AuthRefreshFailed>) {
          return x.request == y.request;
        } else if constexpr (std::is_same_v<T, ReconnectRequested>) {
          return x.why == y.why;
        } else if constexpr (std::is_same_v<T, CheckpointSaved> ||
                             std::is_same_v<T, CheckpointSaveFailed>) {
          return x.delivery_id == y.delivery_id;
        } else {
          return true;
        }
      },
      a);
}

}  // namespace tether::model
