#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <tether/io/config.hpp>
#include <tether/io/http_header.hpp>
#include <tether/io/sequence_extractor.hpp>
#include <tether/model/presets.hpp>
#include <type_traits>
#include <utility>
#include <vector>

#include "config_schema.hpp"

namespace tether::io {

namespace {

using Json = nlohmann::ordered_json;
using schema::Choice;
using schema::Range;

constexpr std::size_t kDepthMax = 16;  // nesting of [ and {: the format needs 6
constexpr std::size_t kListMax = 64;   // endpoints, headers

std::string join(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : std::string(path) + "." + std::string(key);
}

ConfigFileError field_error(std::string field, std::string reason) {
  ConfigFileError e;
  e.field = std::move(field);
  e.reason = std::move(reason);
  return e;
}

template <typename E>
std::string choice_list(std::span<const Choice<E>> choices) {
  std::string out;
  for (const auto& c : choices) out.append(out.empty() ? "" : ", ").append(c.name);
  return out;
}

std::string preset_list() {
  std::string out;
  for (const auto& p : model::presets::all()) out.append(out.empty() ? "" : ", ").append(p.name);
  return out;
}

// --- reading ------------------------------------------------------------------

// Reads one JSON object at `path` into a struct, field by field (the schema
// drives it). The first error wins; later calls are no-ops.
class Reader {
 public:
  Reader(const Json& object, std::string path, std::optional<ConfigFileError>& error)
      : object_(object), path_(std::move(path)), error_(error) {}

  template <typename T>
  void integer(std::string_view key, T& out, Range, std::string_view) {
    const Json* j = take(key);
    if (j == nullptr) return;
    if (!j->is_number_integer()) return fail(key, "expected an integer");
    if (j->is_number_unsigned()) {
      const auto u = j->get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(std::numeric_limits<T>::max()))
        return fail(key, too_large<T>());
      out = static_cast<T>(u);
      return;
    }
    const auto i = j->get<std::int64_t>();
    if constexpr (std::is_unsigned_v<T>) {
      if (i < 0) return fail(key, "must be >= 0");
      if (static_cast<std::uint64_t>(i) > std::numeric_limits<T>::max())
        return fail(key, too_large<T>());
    } else {
      if (i < std::numeric_limits<T>::min() || i > std::numeric_limits<T>::max())
        return fail(key, too_large<T>());
    }
    out = static_cast<T>(i);
  }

  void number(std::string_view key, double& out, Range, std::string_view) {
    const Json* j = take(key);
    if (j == nullptr) return;
    if (!j->is_number()) return fail(key, "expected a number");
    out = j->get<double>();
  }

  void boolean(std::string_view key, bool& out, std::string_view) {
    const Json* j = take(key);
    if (j == nullptr) return;
    if (!j->is_boolean()) return fail(key, "expected true or false");
    out = j->get<bool>();
  }

  void text(std::string_view key, std::string& out, std::string_view) {
    const Json* j = take(key);
    if (j == nullptr) return;
    if (!j->is_string()) return fail(key, "expected a string");
    out = j->get<std::string>();
  }

  void optional_text(std::string_view key, std::optional<std::string>& out, std::string_view) {
    const Json* j = take(key);
    if (j == nullptr) return;
    if (j->is_null()) {
      out.reset();
      return;
    }
    if (!j->is_string()) return fail(key, "expected a string or null");
    out = j->get<std::string>();
  }

  template <typename E>
  void choice(std::string_view key, E& out, std::span<const Choice<E>> choices, std::string_view) {
    const Json* j = take(key);
    if (j == nullptr) return;
    if (j->is_string()) {
      const auto name = j->get<std::string>();
      for (const auto& c : choices)
        if (c.name == name) {
          out = c.value;
          return;
        }
    }
    fail(key, "expected one of: " + choice_list(choices));
  }

  template <typename T, typename Fn>
  void section(std::string_view key, T& out, std::string_view, Fn fn) {
    const Json* j = take(key);
    if (j == nullptr) return;
    if (!j->is_object()) return fail(key, "expected an object");
    read_object(*j, join(path_, key), out, fn);
  }

  template <typename T, typename Fn>
  void optional_section(std::string_view key, std::optional<T>& out, std::string_view, Fn fn) {
    const Json* j = take(key);
    if (j == nullptr) return;
    if (j->is_null()) {
      out.reset();
      return;
    }
    if (!j->is_object()) return fail(key, "expected an object or null");
    if (!out) out.emplace();
    read_object(*j, join(path_, key), *out, fn);
  }

  template <typename T, typename Fn>
  void list(std::string_view key, std::vector<T>& out, std::string_view, Fn fn) {
    const Json* j = take(key);
    if (j == nullptr) return;
    if (!j->is_array()) return fail(key, "expected a list");
    if (j->size() > kListMax) return fail(key, "at most " + std::to_string(kListMax) + " entries");
    std::vector<T> items;
    for (std::size_t i = 0; i < j->size() && !error_; ++i) {
      const std::string at = join(path_, key) + "[" + std::to_string(i) + "]";
      if (!(*j)[i].is_object()) {
        error_ = field_error(at, "expected an object");
        return;
      }
      T item{};
      read_object((*j)[i], at, item, fn);
      items.push_back(std::move(item));
    }
    if (!error_) out = std::move(items);
  }

  void cursor(std::string_view key, model::Cursor& out, std::string_view);

  // Every key of the object must be a field the schema visited.
  void finish() {
    if (error_) return;
    for (const auto& item : object_.items())
      if (std::find(known_.begin(), known_.end(), item.key()) == known_.end())
        return fail(item.key(), "unknown field");
  }

  void fail(std::string_view key, std::string reason) {
    if (!error_) error_ = field_error(join(path_, key), std::move(reason));
  }

 private:
  template <typename T>
  static std::string too_large() {
    return "must be <= " + std::to_string(std::numeric_limits<T>::max());
  }

  const Json* take(std::string_view key) {
    known_.emplace_back(key);
    if (error_) return nullptr;
    const auto it = object_.find(std::string(key));
    return it == object_.end() ? nullptr : &*it;
  }

  template <typename T, typename Fn>
  void read_object(const Json& j, std::string path, T& out, Fn fn) {
    Reader sub(j, std::move(path), error_);
    fn(sub, out);
    sub.finish();
  }

  const Json& object_;
  std::string path_;
  std::optional<ConfigFileError>& error_;
  std::vector<std::string> known_;
};

void Reader::cursor(std::string_view key, model::Cursor& out, std::string_view) {
  const Json* j = take(key);
  if (j == nullptr) return;
  if (j->is_null()) {
    out = model::Cursor{};
    return;
  }
  if (!j->is_object()) return fail(key, "expected null or an object");
  std::optional<std::uint64_t> sequence;
  std::string token;
  std::optional<std::int64_t> start_time_ms;
  Reader sub(*j, join(path_, key), error_);
  std::uint64_t seq_value = 0;
  std::int64_t time_value = 0;
  if (j->contains("sequence")) sequence.emplace();
  if (j->contains("start_time_ms")) start_time_ms.emplace();
  const bool has_token = j->contains("token");
  sub.integer("sequence", seq_value, schema::kAnyU64, {});
  sub.text("token", token, {});
  sub.integer("start_time_ms", time_value, schema::kNonNegativeMs, {});
  sub.finish();
  if (error_) return;
  if (start_time_ms && (sequence || has_token))
    return fail(key, "start_time_ms cannot be combined with sequence or token");
  if (has_token) {
    auto made = model::Token::make(token);
    if (!made || token.empty())
      return fail(join(key, "token"),
                  "must be 1 to " + std::to_string(model::Token::capacity) + " bytes");
    out = model::Cursor{};
    out.kind = model::CursorKind::token;
    out.token = *made;
    out.has_sequence = sequence.has_value();
    out.sequence = seq_value;
  } else if (sequence) {
    out = model::Cursor::at_sequence(seq_value);
  } else if (start_time_ms) {
    out = model::Cursor{};
    out.kind = model::CursorKind::start_time;
    out.start_time_ms = time_value;
  } else {
    fail(key, "expected null, {\"sequence\": N}, {\"token\": \"id\"} or {\"start_time_ms\": N}");
  }
}

// --- writing ------------------------------------------------------------------

class Writer {
 public:
  explicit Writer(Json& out) : out_(out) {}

  template <typename T>
  void integer(std::string_view key, T& value, Range, std::string_view) {
    out_[std::string(key)] = value;
  }
  void number(std::string_view key, double& value, Range, std::string_view) {
    out_[std::string(key)] = value;
  }
  void boolean(std::string_view key, bool& value, std::string_view) {
    out_[std::string(key)] = value;
  }
  void text(std::string_view key, std::string& value, std::string_view) {
    out_[std::string(key)] = value;
  }
  void optional_text(std::string_view key, std::optional<std::string>& value, std::string_view) {
    out_[std::string(key)] = value ? Json(*value) : Json(nullptr);
  }
  template <typename E>
  void choice(std::string_view key, E& value, std::span<const Choice<E>> choices,
              std::string_view) {
    for (const auto& c : choices)
      if (c.value == value) out_[std::string(key)] = c.name;
  }
  template <typename T, typename Fn>
  void section(std::string_view key, T& value, std::string_view, Fn fn) {
    out_[std::string(key)] = write_object(value, fn);
  }
  template <typename T, typename Fn>
  void optional_section(std::string_view key, std::optional<T>& value, std::string_view, Fn fn) {
    out_[std::string(key)] = value ? write_object(*value, fn) : Json(nullptr);
  }
  template <typename T, typename Fn>
  void list(std::string_view key, std::vector<T>& values, std::string_view, Fn fn) {
    Json array = Json::array();
    for (T& v : values) array.push_back(write_object(v, fn));
    out_[std::string(key)] = std::move(array);
  }
  void cursor(std::string_view key, model::Cursor& c, std::string_view) {
    Json j = Json::object();
    switch (c.kind) {
      case model::CursorKind::none:
        j = nullptr;
        break;
      case model::CursorKind::sequence:
        j["sequence"] = c.sequence;
        break;
      case model::CursorKind::token:
        j["token"] = std::string(c.token.view());
        if (c.has_sequence) j["sequence"] = c.sequence;
        break;
      case model::CursorKind::start_time:
        j["start_time_ms"] = c.start_time_ms;
        break;
    }
    out_[std::string(key)] = std::move(j);
  }

  template <typename T, typename Fn>
  static Json write_object(T& value, Fn fn) {
    Json j = Json::object();
    Writer sub(j);
    fn(sub, value);
    return j;
  }

 private:
  Json& out_;
};

// --- the reference ------------------------------------------------------------

class DocCollector {
 public:
  DocCollector(std::vector<FieldDoc>& rows, std::string path)
      : rows_(rows), path_(std::move(path)) {}

  template <typename T>
  void integer(std::string_view key, T& value, Range r, std::string_view doc) {
    add(key, "integer", r.text, Json(value).dump(), doc);
    rows_.back().lo = r.lo;
    rows_.back().hi = r.hi;
  }
  void number(std::string_view key, double& value, Range r, std::string_view doc) {
    add(key, "number", r.text, Json(value).dump(), doc);
    rows_.back().lo_real = r.lo_real;
    rows_.back().hi_real = r.hi_real;
  }
  void boolean(std::string_view key, bool& value, std::string_view doc) {
    add(key, "boolean", "", value ? "true" : "false", doc);
  }
  void text(std::string_view key, std::string& value, std::string_view doc) {
    add(key, "string", "", Json(value).dump(), doc);
  }
  void optional_text(std::string_view key, std::optional<std::string>& value,
                     std::string_view doc) {
    add(key, "string or null", "", value ? Json(*value).dump() : "null", doc);
  }
  template <typename E>
  void choice(std::string_view key, E& value, std::span<const Choice<E>> choices,
              std::string_view doc) {
    std::string now;
    for (const auto& c : choices)
      if (c.value == value) now = Json(c.name).dump();
    add(key, "one of: " + choice_list(choices), "", now, doc);
  }
  template <typename T, typename Fn>
  void section(std::string_view key, T& value, std::string_view doc, Fn fn) {
    add(key, "object", "", "", doc);
    DocCollector sub(rows_, join(path_, key));
    fn(sub, value);
  }
  template <typename T, typename Fn>
  void optional_section(std::string_view key, std::optional<T>& value, std::string_view doc,
                        Fn fn) {
    add(key, "object or null", "", value ? "" : "null", doc);
    T shown = value.value_or(T{});
    DocCollector sub(rows_, join(path_, key));
    fn(sub, shown);
  }
  template <typename T, typename Fn>
  void list(std::string_view key, std::vector<T>& values, std::string_view doc, Fn fn) {
    add(key, "list of objects", "", values.empty() ? "[]" : "", doc);
    T shown{};
    DocCollector sub(rows_, join(path_, key) + "[]");
    fn(sub, shown);
  }
  void cursor(std::string_view key, model::Cursor& value, std::string_view doc) {
    Json j = Json::object();
    Writer(j).cursor(key, value, doc);
    add(key, "cursor", "", j[std::string(key)].dump(), doc);
  }

 private:
  void add(std::string_view key, std::string type, std::string_view range, std::string fallback,
           std::string_view doc) {
    FieldDoc row;
    row.path = join(path_, key);
    row.type = std::move(type);
    row.range = std::string(range);
    row.fallback = std::move(fallback);
    row.doc = std::string(doc);
    rows_.push_back(std::move(row));
  }
  std::vector<FieldDoc>& rows_;
  std::string path_;
};

// --- the whole document -------------------------------------------------------

template <typename V>
void visit_sections(V& v, Config& c) {
  schema::visit_session(v, c.session);
  v.section("shell", c.shell, "The shell's options (tether::io, tether-watch).",
            schema::visit_shell<V>);
  v.section("poll", c.poll, "Polling sessions (tether::io::PollRunner).", schema::visit_poll<V>);
  v.section("wait", c.wait, "Waiting for a resource (tether::io::WaitRunner).",
            schema::visit_wait<V>);
  v.section("mirror", c.mirror, "Freshness mirror.", schema::visit_mirror<V>);
}

Json write_document(const Config& config) {
  Config c = config;  // the visitors take non-const references
  Json j = Json::object();
  j["format"] = config_format;
  j["preset"] = c.preset.empty() ? Json(nullptr) : Json(c.preset);
  j["seed"] = c.seed ? Json(*c.seed) : Json(nullptr);
  Writer w(j);
  visit_sections(w, c);
  return j;
}

}  // namespace

namespace {

std::expected<Config, ConfigFileError> read_document(const Json& doc) {
  if (!doc.is_object()) return std::unexpected(field_error("", "expected a JSON object"));
  const auto format = doc.find("format");
  if (format == doc.end()) return std::unexpected(field_error("format", "missing required field"));
  if (!format->is_string() || format->get<std::string>() != config_format)
    return std::unexpected(
        field_error("format", "expected \"" + std::string(config_format) + "\""));
  Config c;
  if (const auto preset = doc.find("preset"); preset != doc.end() && !preset->is_null()) {
    if (!preset->is_string())
      return std::unexpected(field_error("preset", "expected a string or null"));
    auto base = preset_config(preset->get<std::string>());
    if (!base) return std::unexpected(base.error());
    c = std::move(*base);
  }
  std::optional<ConfigFileError> error;
  Reader r(doc, "", error);
  std::string ignored;
  r.text("format", ignored, {});
  std::optional<std::string> preset_name;
  r.optional_text("preset", preset_name, {});
  if (const auto seed = doc.find("seed"); seed != doc.end() && !seed->is_null()) {
    std::uint64_t value = 0;
    r.integer("seed", value, schema::kAnyU64, {});
    c.seed = value;
  } else {
    std::optional<std::string> none;
    r.optional_text("seed", none, {});  // marks "seed": null as known
    c.seed.reset();
  }
  visit_sections(r, c);
  r.finish();
  if (error) return std::unexpected(*error);
  if (auto ok = validate(c); !ok) return std::unexpected(ok.error());
  return c;
}

// Deeper nesting than the format needs is refused before parsing: a limit on
// everything, so hostile input cannot recurse the parser deep.
std::optional<std::size_t> too_deep_at(std::string_view text) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (in_string) {
      if (ch == '\\')
        ++i;
      else if (ch == '"')
        in_string = false;
    } else if (ch == '"') {
      in_string = true;
    } else if (ch == '{' || ch == '[') {
      if (++depth > kDepthMax) return i;
    } else if (ch == '}' || ch == ']') {
      if (depth > 0) --depth;
    }
  }
  return std::nullopt;
}

ConfigFileError syntax_error(std::string_view text, std::size_t offset, std::string reason) {
  ConfigFileError e;
  e.line = 1;
  e.column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++e.line;
      e.column = 1;
    } else {
      ++e.column;
    }
  }
  e.reason = std::move(reason);
  return e;
}

// A key given twice in one object. JSON parsers keep the last silently, so a
// reviewer reading the first "delay_ms_max" would approve a policy that is not
// the one that runs: refused, naming the field.
struct DuplicateField {
  std::string path;
};

// Parses `text`, throwing DuplicateField (or Json's own errors). The callback
// tracks the open objects and lists, for the path of a repeated key.
Json parse_unique(std::string_view text) {
  struct Frame {
    bool list = false;
    std::size_t index = 0;  // lists: the entry being read
    std::string key;        // objects: the member being read
    std::vector<std::string> keys;
  };
  std::vector<Frame> open;
  auto path_to = [&open](const std::string& key) {
    std::string out;
    for (std::size_t i = 0; i + 1 < open.size(); ++i)
      out = open[i].list ? out + "[" + std::to_string(open[i].index) + "]" : join(out, open[i].key);
    return join(out, key);
  };
  using Event = Json::parse_event_t;
  const Json::parser_callback_t track = [&](int, Event event, Json& parsed) {
    switch (event) {
      case Event::object_start:
        open.push_back({});
        break;
      case Event::array_start:
        open.push_back({.list = true, .index = 0, .key = {}, .keys = {}});
        break;
      case Event::key: {
        Frame& top = open.back();
        top.key = parsed.get<std::string>();
        if (std::find(top.keys.begin(), top.keys.end(), top.key) != top.keys.end())
          throw DuplicateField{path_to(top.key)};
        top.keys.push_back(top.key);
        break;
      }
      case Event::object_end:
      case Event::array_end:
        open.pop_back();
        [[fallthrough]];
      case Event::value:
        if (!open.empty() && open.back().list) ++open.back().index;
        break;
    }
    return true;
  };
  return Json::parse(text.begin(), text.end(), track);
}

std::expected<Json, ConfigFileError> parse_json(std::string_view text) {
  if (text.size() > config_bytes_max)
    return std::unexpected(
        field_error("", "larger than " + std::to_string(config_bytes_max) + " bytes"));
  if (const auto at = too_deep_at(text))
    return std::unexpected(
        syntax_error(text, *at, "nested deeper than " + std::to_string(kDepthMax) + " levels"));
  try {
    return parse_unique(text);
  } catch (const DuplicateField& d) {
    return std::unexpected(
        field_error(d.path, "given twice (a JSON parser would keep only the last)"));
  } catch (const Json::parse_error& e) {
    std::string what = e.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 2: x" -> "x"
    if (const auto colon = what.find(": ", what.find("parse error")); colon != std::string::npos)
      what.erase(0, colon + 2);
    // "...; last read: '\"Bearer s3cr3t'" quotes the file: a token pasted into
    // a configuration by mistake must not reach stderr and CI logs.
    if (const auto quoted = what.find("; last read:"); quoted != std::string::npos)
      what.erase(quoted);
    const std::size_t byte = e.byte == 0 ? 0 : e.byte - 1;
    return std::unexpected(syntax_error(text, byte, "JSON syntax error: " + what));
  } catch (const std::exception& e) {
    return std::unexpected(syntax_error(text, 0, std::string("JSON error: ") + e.what()));
  }
}

}  // namespace

std::string ConfigFileError::message() const {
  std::string out = file.empty() ? "" : file + ": ";
  if (field.empty() && line > 0)
    out += "line " + std::to_string(line) + ", column " + std::to_string(column) + ": ";
  else if (!field.empty())
    out += field + ": ";
  return out + reason;
}

std::expected<Config, ConfigFileError> preset_config(std::string_view name) {
  for (const auto& p : model::presets::all()) {
    if (p.name != name) continue;
    Config c;
    c.preset = std::string(name);
    c.session = p.make();
    return c;
  }
  return std::unexpected(field_error(
      "preset", "unknown preset '" + std::string(name) + "' (known: " + preset_list() + ")"));
}

std::expected<Config, ConfigFileError> parse_config(std::string_view json) {
  auto doc = parse_json(json);
  if (!doc) return std::unexpected(doc.error());
  return read_document(*doc);
}

std::expected<Config, ConfigFileError> load_config(const std::filesystem::path& path) {
  auto named = [&](ConfigFileError e) {
    e.file = path.string();
    return std::unexpected(std::move(e));
  };
  std::ifstream in(path, std::ios::binary);
  if (!in) return named(field_error("", "cannot open the file"));
  std::string text;
  text.resize(config_bytes_max + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return named(field_error("", "cannot read the file"));
  text.resize(static_cast<std::size_t>(in.gcount()));
  auto c = parse_config(text);
  if (!c) return named(c.error());
  return c;
}

std::string to_json(const Config& config, bool compact) {
  const Json j = write_document(config);
  // A Config built in C++ may hold bytes that are not UTF-8: they print as
  // U+FFFD rather than throw (files and --set only ever hold UTF-8).
  constexpr auto replace = Json::error_handler_t::replace;
  return compact ? j.dump(-1, ' ', false, replace) : j.dump(2, ' ', false, replace) + "\n";
}

std::span<const FieldDoc> config_fields() {
  static const std::vector<FieldDoc> rows = [] {
    std::vector<FieldDoc> out;
    out.push_back({.path = "format", .type = "string", .doc = "Required: \"tether-config/1\"."});
    out.push_back({.path = "preset",
                   .type = "string or null",
                   .fallback = "null",
                   .doc = "The named base (" + preset_list() + "); fields given override it."});
    out.push_back(
        {.path = "seed",
         .type = "integer or null",
         .fallback = "null",
         .doc = "Jitter seed; null: drawn from the OS per session (fix it only to replay)."});
    Config c;
    DocCollector d(out, "");
    visit_sections(d, c);
    return out;
  }();
  return rows;
}

namespace {
// Field names, dots and [N]: what a --set PATH is made of.
bool is_path_text(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '_' || c == '.' || c == '[' || c == ']';
  });
}
}  // namespace

// --set PATH=VALUE: edit the written document, then read it back whole, so an
// override is checked exactly as a file is.
namespace {

// The node of `doc` at `path` ("a.b[2].c"), made where a null section or a new
// list entry stands in the way (`defaults` gives a null section its fields).
std::expected<Json*, ConfigFileError> node_at(Json& doc, const Json& defaults,
                                              const std::string& path) {
  Json* node = &doc;
  const Json* fallback = &defaults;
  std::string walked;
  bool open_object = false;  // a cursor or a new entry: its keys are checked by the reader
  for (std::size_t start = 0;;) {
    const std::size_t dot = path.find('.', start);
    std::string segment =
        path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    std::optional<std::size_t> index;
    if (const auto open = segment.find('['); open != std::string::npos && segment.back() == ']') {
      const std::string digits = segment.substr(open + 1, segment.size() - open - 2);
      if (digits.empty() || digits.size() > 3 ||
          !std::all_of(digits.begin(), digits.end(), ::isdigit))
        return std::unexpected(field_error(path, "bad list index"));
      index = std::stoul(digits);
      segment.resize(open);
    }
    walked = join(walked, segment);
    if (node->is_null()) {
      open_object = fallback == nullptr || !fallback->is_object();
      *node = open_object ? Json::object() : *fallback;
    }
    if (!node->is_object() || (!open_object && !node->contains(segment)))
      return std::unexpected(field_error(walked, "unknown field"));
    node = &(*node)[segment];
    fallback = (fallback != nullptr && fallback->is_object() && fallback->contains(segment))
                   ? &(*fallback)[segment]
                   : nullptr;
    if (index) {
      if (!node->is_array() || *index > node->size())
        return std::unexpected(field_error(walked, "no entry " + std::to_string(*index)));
      if (*index == node->size()) {  // appends an entry with the defaults
        node->push_back(Json::object());
        open_object = true;
      }
      node = &(*node)[*index];
      walked += "[" + std::to_string(*index) + "]";
      fallback = nullptr;
    }
    if (dot == std::string::npos) return node;
    start = dot + 1;
  }
}

// VALUE of --set: JSON when it parses as JSON, else the bare text as a string.
std::expected<Json, ConfigFileError> set_value(const std::string& path, std::string_view text) {
  try {
    return parse_unique(text);
  } catch (const DuplicateField& d) {
    return std::unexpected(
        field_error(join(path, d.path), "given twice (a JSON parser would keep only the last)"));
  } catch (const std::exception&) {
    Json value = std::string(text);
    try {
      (void)value.dump();
    } catch (const std::exception&) {
      return std::unexpected(field_error(path, "the value is not valid UTF-8"));
    }
    return value;
  }
}

}  // namespace

std::expected<void, ConfigFileError> set_field(Config& config, std::string_view assignment) {
  const auto eq = assignment.find('=');
  const std::string_view head = assignment.substr(0, eq);
  // Anything else (a URL that followed --set, a token) is not shown: it may
  // hold a secret ("http://user:pw@host/x?token=abc").
  if (!is_path_text(head))
    return std::unexpected(
        field_error("",
                    "expected PATH=VALUE, PATH made of field names, dots and [N] "
                    "(backoff.delay_ms_max=60000); the text is not shown, it may hold a secret"));
  if (eq == std::string_view::npos)
    return std::unexpected(field_error(std::string(head), "expected PATH=VALUE"));
  const std::string path(head);
  if (path.front() == '.' || path.back() == '.' || path.find("..") != std::string::npos)
    return std::unexpected(field_error(path, "empty field name"));
  auto value = set_value(path, assignment.substr(eq + 1));
  if (!value) return std::unexpected(value.error());
  if (path == "preset" || path == "format")
    return std::unexpected(
        field_error(path, "cannot be set (choose the preset with --preset or in the file)"));
  Json doc = write_document(config);
  Config shapes;  // the optional sections filled in, to give a null section its fields
  shapes.session.heartbeat.emplace();
  auto node = node_at(doc, write_document(shapes), path);
  if (!node) return std::unexpected(node.error());
  **node = std::move(*value);
  auto read = read_document(doc);
  if (!read) return std::unexpected(read.error());
  config = std::move(*read);
  return {};
}

}  // namespace tether::io
