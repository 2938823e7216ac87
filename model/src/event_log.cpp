#include <tether/model/event_log.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>

#include <tether/model/names.hpp>

namespace tether::model {

namespace {

// --- shared vocabulary -------------------------------------------------------------

constexpr std::array<std::string_view, 4> cursor_kind_names{"none", "sequence", "token", "start_time"};
constexpr std::array<CloseCause, 5> close_causes{CloseCause::clean_close, CloseCause::unexpected_eof,
                                                  CloseCause::transport_error, CloseCause::protocol_error,
                                                  CloseCause::unrecoverable};

std::string_view name_of_kind(CursorKind kind) {
  const auto i = static_cast<std::size_t>(kind);
  return i < cursor_kind_names.size() ? cursor_kind_names[i] : std::string_view{"unknown"};
}

bool plain_token_byte(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '.': case '_': case '~': case ':': case '/': case '+': case '@': case ',': case '-':
      return true;
    default:
      return false;
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// --- encoding ---------------------------------------------------------------------

class Writer {
 public:
  std::string out;

  template <class Int>
  void number(Int v) {
    std::array<char, 24> buf{};
    const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    out.append(buf.data(), r.ptr);
  }
  void key(std::string_view k) {
    out += ' ';
    out += k;
    out += '=';
  }
  template <class Int>
  void field(std::string_view k, Int v) {
    key(k);
    number(v);
  }
  template <class Int>
  void field(std::string_view k, const std::optional<Int>& v) {
    key(k);
    if (v) number(*v);
    else out += '-';
  }
  void token(const Token& t) {
    static constexpr char digits[] = "0123456789ABCDEF";
    const std::string_view v = t.view();
    if (v == "-") {
      out += "%2D";
      return;
    }
    for (const char c : v) {
      if (plain_token_byte(c)) {
        out += c;
      } else {
        const auto b = static_cast<unsigned char>(c);
        out += '%';
        out += digits[b >> 4];
        out += digits[b & 0xF];
      }
    }
  }
  void cursor(std::string_view k, const Cursor& c) {
    key(k);
    out += name_of_kind(c.kind);
    const std::string p(k);
    field(p + ".seq", c.sequence);
    key(p + ".has_seq");
    out += c.has_sequence ? '1' : '0';
    field(p + ".start", c.start_time_ms);
    key(p + ".token");
    token(c.token);
  }
};

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
      fail(key, column_, "expected '" + std::string(key) + "=<value>', found '" + std::string(*p) + "'");
      return {};
    }
    const std::string_view found = p->substr(0, eq);
    if (found != key) {
      fail(key, column_, "expected field '" + std::string(key) + "', found unknown or misplaced field '" +
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
    if (text.empty() || r.ec == std::errc::invalid_argument || (r.ec == std::errc{} && r.ptr != last)) {
      fail(field, column,
           std::string(std::is_signed_v<Int> ? "expected an integer" : "expected an unsigned integer") +
               ", found '" + std::string(text) + "'");
      return Int{};
    }
    if (r.ec == std::errc::result_out_of_range) {
      fail(field, column, "'" + std::string(text) + "' is out of range (" +
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

  void end() {
    if (error_ || pos_ >= line_.size()) return;
    fail("end of line", pos_ + 1, "unexpected text after the last field: '" + std::string(line_.substr(pos_)) + "'");
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
                  std::is_same_v<T, AuthRefreshFailed> || std::is_same_v<T, NetworkRestored>;

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
    return e;
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

template <std::size_t... I>
std::array<Event, sizeof...(I)> make_prototypes(std::index_sequence<I...>) {
  return {Event{std::in_place_index<I>}...};
}

// The index of the event called `name`, or nullopt.
std::optional<std::size_t> event_index(std::string_view name) {
  static const auto prototypes = make_prototypes(std::make_index_sequence<std::variant_size_v<Event>>{});
  for (std::size_t i = 0; i < prototypes.size(); ++i)
    if (name_of(prototypes[i]) == name) return i;
  return std::nullopt;
}

bool same_cursor(const std::optional<Cursor>& a, const std::optional<Cursor>& b) { return a == b; }

}  // namespace

std::string EventLogError::message() const {
  std::string s;
  if (line > 0) s += "line " + std::to_string(line) + ", ";
  s += "column " + std::to_string(column) + ", field '" + field + "': " + reason;
  return s;
}

std::string encode_event(const Event& event) {
  Writer w;
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
          w.field("token_expires_at",
                  e.token_expires_at ? std::optional<std::int64_t>(e.token_expires_at->ms) : std::nullopt);
        } else if constexpr (std::is_same_v<T, ConnectionClosed>) {
          w.key("cause");
          w.out += name_of(e.cause);
        } else if constexpr (std::is_same_v<T, ServerRejected>) {
          w.field("status", e.http_status);
          w.field("retry_after", e.retry_after_ms);
        } else if constexpr (std::is_same_v<T, FrameReceived>) {
          w.field("seq", e.sequence);
          w.key("id");
          if (e.id) w.token(*e.id);
          else w.out += '-';
          w.field("retry", e.retry_ms);
          w.field("ref", e.frame_ref);
        } else if constexpr (std::is_same_v<T, DeliveryAcked>) {
          w.field("delivery", e.delivery_id);
          w.cursor("cursor", e.cursor);
        } else if constexpr (std::is_same_v<T, AuthRefreshed>) {
          w.field("expires_at", e.expires_at ? std::optional<std::int64_t>(e.expires_at->ms) : std::nullopt);
        } else if constexpr (std::is_same_v<T, CheckpointSaved> || std::is_same_v<T, CheckpointSaveFailed>) {
          w.field("delivery", e.delivery_id);
        }
      },
      event);
  return std::move(w.out);
}

std::expected<Event, EventLogError> decode_event(std::string_view line) {
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
  const auto index = event_index(*name);
  if (!index) {
    r.fail("event", name_column, "unknown event '" + std::string(*name) + "'");
    return std::unexpected(r.take_error());
  }
  Event e = decoders[*index](r, Instant{now});
  r.end();
  if (r.failed()) return std::unexpected(r.take_error());
  return e;
}

std::string encode_log(std::span<const Event> events) {
  std::string out(event_log_header);
  out += '\n';
  for (const Event& e : events) {
    out += encode_event(e);
    out += '\n';
  }
  return out;
}

std::expected<std::vector<Event>, EventLogError> decode_log(std::string_view text) {
  std::vector<Event> events;
  std::size_t line_no = 0;
  std::size_t pos = 0;
  bool header = false;
  while (pos < text.size()) {
    const std::size_t nl = text.find('\n', pos);
    const std::size_t end = nl == std::string_view::npos ? text.size() : nl;
    std::string_view line = text.substr(pos, end - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!header) {
      if (line != event_log_header)
        return std::unexpected(EventLogError{line_no, 1, "header",
                                             "expected '" + std::string(event_log_header) + "' as the first line"});
      header = true;
      continue;
    }
    if (!line.empty() && line.front() == '#') continue;
    auto e = decode_event(line);
    if (!e) {
      EventLogError err = std::move(e.error());
      err.line = line_no;
      return std::unexpected(std::move(err));
    }
    events.push_back(*e);
  }
  if (!header)
    return std::unexpected(EventLogError{1, 1, "header", "an empty log (expected '" +
                                                             std::string(event_log_header) + "' as the first line)"});
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
          return same_cursor(x.checkpoint, y.checkpoint) && x.token_expires_at == y.token_expires_at;
        } else if constexpr (std::is_same_v<T, ConnectionClosed>) {
          return x.cause == y.cause;
        } else if constexpr (std::is_same_v<T, ServerRejected>) {
          return x.http_status == y.http_status && x.retry_after_ms == y.retry_after_ms;
        } else if constexpr (std::is_same_v<T, FrameReceived>) {
          return x.sequence == y.sequence && x.id == y.id && x.retry_ms == y.retry_ms && x.frame_ref == y.frame_ref;
        } else if constexpr (std::is_same_v<T, DeliveryAcked>) {
          return x.delivery_id == y.delivery_id && x.cursor == y.cursor;
        } else if constexpr (std::is_same_v<T, AuthRefreshed>) {
          return x.expires_at == y.expires_at;
        } else if constexpr (std::is_same_v<T, CheckpointSaved> || std::is_same_v<T, CheckpointSaveFailed>) {
          return x.delivery_id == y.delivery_id;
        } else {
          return true;
        }
      },
      a);
}

}  // namespace tether::model
