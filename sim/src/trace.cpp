#include <tether/sim/trace.hpp>

#include <charconv>

#include <tether/model/names.hpp>

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
void put(std::string& s, std::int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  s.append(buf, r.ptr);
}
void put(std::string& s, std::uint64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  s.append(buf, r.ptr);
}
void put_opt(std::string& s, const std::optional<std::uint64_t>& v) {
  if (v) put(s, *v);
  else s += '-';
}

void event_fields(std::string& s, const model::Event& e) {
  using namespace model;
  if (const auto* f = std::get_if<FrameReceived>(&e)) {
    s += ' ';
    put_opt(s, f->sequence);
  } else if (const auto* r = std::get_if<ServerRejected>(&e)) {
    s += ' ';
    put(s, std::uint64_t{r->http_status});
    if (r->retry_after_ms) {
      s += " ra=";
      put(s, *r->retry_after_ms);
    }
  } else if (const auto* c = std::get_if<ConnectionClosed>(&e)) {
    s += ' ';
    s += name_of(c->cause);
  } else if (const auto* a = std::get_if<DeliveryAcked>(&e)) {
    s += ' ';
    put(s, a->delivery_id);
  } else if (const auto* k = std::get_if<CheckpointSaved>(&e)) {
    s += ' ';
    put(s, k->delivery_id);
  } else if (const auto* kf = std::get_if<CheckpointSaveFailed>(&e)) {
    s += ' ';
    put(s, kf->delivery_id);
  } else if (const auto* st = std::get_if<Started>(&e)) {
    s += ' ';
    put_opt(s, st->checkpoint && st->checkpoint->has_sequence
                   ? std::optional<std::uint64_t>(st->checkpoint->sequence)
                   : std::nullopt);
  }
}

void effect_fields(std::string& s, const model::Effect& e) {
  using namespace model;
  if (const auto* c = std::get_if<Connect>(&e)) {
    s += ' ';
    put(s, std::uint64_t{c->attempt});
    s += ' ';
    s += name_of(c->from);
    if (c->from == ResumeFrom::cursor) {
      s += ' ';
      put(s, c->cursor.sequence);
    }
  } else if (const auto* d = std::get_if<Deliver>(&e)) {
    s += ' ';
    put(s, d->delivery_id);
    s += ' ';
    put_opt(s, d->sequence);
  } else if (const auto* g = std::get_if<ReportGap>(&e)) {
    s += ' ';
    put_opt(s, g->from_sequence);
    s += '-';
    put_opt(s, g->to_sequence);
  } else if (const auto* k = std::get_if<SaveCheckpoint>(&e)) {
    s += ' ';
    put(s, k->delivery_id);
  } else if (const auto* r = std::get_if<ReportStatus>(&e)) {
    s += ' ';
    s += name_of(r->status.kind);
    s += ' ';
    s += name_of(r->status.reason);
    if (r->status.kind == StatusKind::backing_off) {
      s += ' ';
      put(s, r->status.next_attempt_at.ms);
    }
  } else if (const auto* a = std::get_if<RefreshAuth>(&e)) {
    s += ' ';
    s += name_of(a->cause);
  } else if (const auto* x = std::get_if<DiscardFrame>(&e)) {
    s += ' ';
    s += name_of(x->reason);
  }
}
}  // namespace

void Trace::step(Ms now, std::uint32_t client, const model::Event& event, const model::Effects& effects) {
  line_.clear();
  put(line_, now);
  line_ += " c";
  put(line_, std::uint64_t{client});
  line_ += ' ';
  line_ += model::name_of(event);
  event_fields(line_, event);
  char sep = ':';
  for (const model::Effect& e : effects) {
    line_ += ' ';
    line_ += sep;
    sep = ',';
    line_ += ' ';
    line_ += model::name_of(e);
    effect_fields(line_, e);
  }
  end_line();
}

void Trace::note(Ms now, std::string_view what, std::int64_t value) {
  line_.clear();
  put(line_, now);
  line_ += " world ";
  line_ += what;
  line_ += ' ';
  put(line_, value);
  end_line();
}

void Trace::end_line() {
  line_ += '\n';
  hash_ = model::fnv1a64(hash_, line_);
  if (keep_text_) text_ += line_;
}

}  // namespace tether::sim
