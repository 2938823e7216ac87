#include <tether/io/line_output.hpp>
#include <tether/io/sse_parser.hpp>

namespace tether::io {

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  const bool utf8 = valid_utf8(text);
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else if (c >= 0x80 && !utf8) {
          out += "\xEF\xBF\xBD";
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

void append_delivery_line(std::string& out, const Delivery& d) {
  out += "{\"delivery\":" + std::to_string(d.delivery_id);
  if (d.sequence) out += ",\"seq\":" + std::to_string(*d.sequence);
  if (d.id) {
    out += ",\"id\":";
    append_json_string(out, *d.id);
  }
  out += ",\"event\":";
  append_json_string(out, d.type);
  out += ",\"data\":";
  append_json_string(out, d.data);
  out += "}\n";
}

void append_comment_line(std::string& out, std::string_view text) {
  out += "{\"comment\":";
  append_json_string(out, text);
  out += "}\n";
}

bool LineOutput::put(const std::string& line) {
  if (sink_.write(line)) return true;
  failed_ = true;
  errno_ = sink_.errno_value();
  return false;
}

void LineOutput::write(const Delivery& delivery) {
  const std::lock_guard lock(mutex_);
  if (closing_ || failed_) return;
  line_.clear();
  append_delivery_line(line_, delivery);
  if (put(line_)) written_id_ = delivery.delivery_id;
}

void LineOutput::write_comment(std::string_view text) {
  const std::lock_guard lock(mutex_);
  if (closing_ || failed_) return;
  line_.clear();
  append_comment_line(line_, text);
  put(line_);
}

std::optional<std::uint64_t> LineOutput::flush(bool last) {
  const std::lock_guard lock(mutex_);
  closing_ = closing_ || last;
  if (failed_) return std::nullopt;
  const std::uint64_t id = written_id_;  // what this flush hands on
  if (!sink_.flush()) {
    failed_ = true;
    errno_ = sink_.errno_value();
    return std::nullopt;
  }
  if (id <= acked_id_) return std::nullopt;
  acked_id_ = id;
  return id;
}

bool LineOutput::failed() const {
  const std::lock_guard lock(mutex_);
  return failed_;
}

int LineOutput::errno_value() const {
  const std::lock_guard lock(mutex_);
  return errno_;
}

}  // namespace tether::io
