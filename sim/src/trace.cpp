#include <algorithm>
#include <bit>
#include <charconv>
#include <cstring>
#include <tether/model/effects_hash.hpp>
#include <tether/model/event_log.hpp>
#include <tether/model/names.hpp>
#include <tether/sim/trace.hpp>

namespace tether::sim {

void Coverage::merge(const Coverage& other) {
  for (std::size_t p = 0; p < phase_count; ++p)
    for (std::size_t e = 0; e < event_count; ++e) counts[p][e] += other.counts[p][e];
}

std::size_t Coverage::pairs_reached() const {
  std::size_t n = 0;
  for (const auto& row : counts)
    for (std::uint64_t c : row) n += c > 0 ? 1 : 0;
  return n;
}

namespace {
// A default value of alternative `i` of a variant, for its name.
template <class V, std::size_t... I>
V make_alternative(std::size_t i, std::index_sequence<I...>) {
  V v;
  ((i == I ? (v = V{std::in_place_index<I>}, 0) : 0), ...);
  return v;
}
}  // namespace

std::vector<std::string> Coverage::never_reached() const {
  std::vector<std::string> out;
  for (std::size_t p = 0; p < phase_count; ++p) {
    const auto phase = make_alternative<model::Phase>(p, std::make_index_sequence<phase_count>{});
    for (std::size_t e = 0; e < event_count; ++e) {
      if (counts[p][e] != 0) continue;
      const auto event = make_alternative<model::Event>(e, std::make_index_sequence<event_count>{});
      std::string s(model::name_of(phase));
      s += '/';
      s += model::name_of(event);
      out.push_back(std::move(s));
    }
  }
  return out;
}

namespace {
template <class Int>
void put(std::string& s, Int v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  s.append(buf, r.ptr);
}

// Appends `text` with each '\n' written as " ; " (one effect after another).
void append_joined(std::string& out, std::string_view text) {
  for (std::size_t start = 0; start <= text.size();) {
    const std::size_t nl = std::min(text.find('\n', start), text.size());
    if (start > 0) out += " ; ";
    out.append(text.substr(start, nl - start));
    start = nl + 1;
  }
}
}  // namespace

std::uint64_t trace_hash_step(std::uint64_t hash, std::string_view bytes) noexcept {
  constexpr std::uint64_t odd = 0x9E3779B97F4A7C15ULL;
  std::size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, bytes.data() + i, 8);
    if constexpr (std::endian::native == std::endian::big) word = std::byteswap(word);
    hash = std::rotl((hash ^ word) * odd, 29);  // each step a bijection of `hash`
  }
  std::uint64_t tail = bytes.size() - i;  // the tail's length too: "a" and "a\0" differ
  for (std::size_t k = 0; i + k < bytes.size(); ++k)
    tail |= std::uint64_t{static_cast<unsigned char>(bytes[i + k])} << (8 * (k + 1));
  return std::rotl((hash ^ tail) * odd, 29);
}

void Trace::step(Ms /*now*/, std::uint32_t client, const model::Event& event,
                 const model::Effects& effects) {
  // What is hashed: "c<client> <event line>\n<effects' canonical text>".
  line_.clear();
  line_ += 'c';
  put(line_, client);
  line_ += ' ';
  const std::size_t prefix_end = line_.size();
  model::append_event(line_, event);
  const std::size_t event_end = line_.size();
  line_ += '\n';
  model::append_effects(line_, effects.span());
  hash_ = trace_hash_step(hash_, line_);
  if (!keep_text_) return;
  // What is shown: the recording's line for this step, then the effects in full.
  const std::string_view canonical = std::string_view(line_).substr(event_end + 1);
  text_.append(line_, 0, prefix_end);
  model::append_step(text_, event, effects.span(),
                     model::fnv1a64(model::fnv1a64_offset, canonical));
  if (!canonical.empty()) {
    text_ += " : ";
    append_joined(text_, canonical);
  }
  text_ += '\n';
}

void Trace::note(Ms now, std::string_view what, std::int64_t value) {
  line_.clear();
  line_ += "world ";
  put(line_, now);
  line_ += ' ';
  line_ += what;
  line_ += ' ';
  put(line_, value);
  line_ += '\n';
  hash_ = trace_hash_step(hash_, line_);
  if (keep_text_) text_ += line_;
}

}  // namespace tether::sim
