#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <string>
#include <tether/io/clock.hpp>
#include <tether/io/host.hpp>
#include <tether/io/poll_driver.hpp>
#include <tether/model/backoff.hpp>
#include <tether/model/presets.hpp>
#include <tether/model/prng.hpp>
#include <tether/sim/poll_world.hpp>
#include <tether/sim/reference/poll.hpp>
#include <variant>

namespace tether::sim {

namespace {

namespace poll = model::poll;
using model::Instant;
using model::Prng;

constexpr std::size_t violations_max = 20;

// --- policy bounds, from the one jitter rule (model::jitter_envelope) ---------

// The largest delay the policy may ever choose (at the cap).
std::int64_t delay_ms_most(const poll::Backoff& b) {
  return model::jitter_envelope(poll::as_policy(b), UINT32_MAX).delay_ms_max;
}

// --- trace hash (FNV-1a over the numbers and strings of every step) -----------

class Hasher {
 public:
  void add(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      value_ ^= (v >> (8 * i)) & 0xFFU;
      value_ *= 1099511628211ULL;
    }
  }
  void add(std::string_view s) {
    for (const char c : s) {
      value_ ^= static_cast<unsigned char>(c);
      value_ *= 1099511628211ULL;
    }
    add(s.size());
  }
  std::uint64_t value() const { return value_; }

 private:
  std::uint64_t value_ = 1469598103934665603ULL;
};

std::string show(const poll::Event& ev) {
  return std::visit(
      [](const auto& e) -> std::string {
        using E = std::decay_t<decltype(e)>;
        const std::string at = "@" + std::to_string(e.now.ms) + " ";
        if constexpr (std::is_same_v<E, poll::Started>)
          return at + "Started";
        else if constexpr (std::is_same_v<E, poll::StopRequested>)
          return at + "StopRequested";
        else if constexpr (std::is_same_v<E, poll::Tick>)
          return at + "Tick";
        else if constexpr (std::is_same_v<E, poll::ReceiverGone>)
          return at + "ReceiverGone";
        else if constexpr (std::is_same_v<E, poll::PollFailed>)
          return at + "PollFailed e" + std::to_string(e.endpoint) + " " +
                 std::to_string(e.http_status);
        else
          return at + "PollSucceeded e" + std::to_string(e.endpoint) +
                 (e.snapshot ? " keys " + std::to_string(e.snapshot->size()) : std::string(" 304"));
      },
      ev);
}

std::string show(const poll::Effect& fx) {
  return std::visit(
      [](const auto& e) -> std::string {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, poll::Poll>)
          return "Poll(e" + std::to_string(e.endpoint) + (e.retry_in_tick ? ", retry)" : ")");
        else if constexpr (std::is_same_v<E, poll::Added>)
          return "Added(e" + std::to_string(e.endpoint) + " " + e.key + "=" + e.value + ")";
        else if constexpr (std::is_same_v<E, poll::Modified>)
          return "Modified(e" + std::to_string(e.endpoint) + " " + e.key + "=" + e.value + ")";
        else if constexpr (std::is_same_v<E, poll::Removed>)
          return "Removed(e" + std::to_string(e.endpoint) + " " + e.key + ")";
        else if constexpr (std::is_same_v<E, poll::ReportStatus>)
          return "Status(e" + std::to_string(e.endpoint) + " health " +
                 std::to_string(static_cast<int>(e.status.health)) + " http " +
                 std::to_string(e.status.http_status) + " failures " +
                 std::to_string(e.status.failures) + " next @" +
                 std::to_string(e.status.next_attempt_at.ms) + ")";
        else
          return "Stopped(" + std::to_string(static_cast<int>(e.reason)) + ")";
      },
      fx);
}

// --- the server's state ---------------------------------------------------------

using Map = std::map<std::string, std::string>;

Map as_map(const poll::Snapshot& s) {
  Map m;
  for (const poll::Entry& e : s.entries()) m.emplace_hint(m.end(), e.key, e.value);
  return m;
}

// --- the world -------------------------------------------------------------------

enum class ItemKind : std::uint8_t {
  change,    // an endpoint's keyed state changes
  arrive,    // a request reaches the server
  respond,   // a response reaches the client
  app_stop,  // the application stops (fault index)
  check,     // the end of the catch-up bound
  tick,      // the timer the loop armed (index: its generation)
};

struct Item {
  ItemKind kind;
  std::uint32_t index;  // endpoint, request, fault or timer generation
};

struct Request {
  std::uint32_t endpoint;
  std::optional<std::string> etag;  // the driver's If-None-Match (io::PollExchange's)
  Ms served_at = 0;
  // The answer, decided when the request reaches the server:
  std::uint16_t status = 0;  // 0: transport error
  bool malformed = false;
  io::PollResponse response;  // the wire's answer (status, JSON body, ETag)
  Map served;                 // a 200's body: the server's state it was written from
};

// The ETag of an endpoint's state `version`.
std::string etag_of(std::uint64_t version) { return "\"" + std::to_string(version) + "\""; }

// A JSON object of the keys and their values (already JSON text).
std::string json_body(const Map& state) {
  std::string body = "{";
  for (const auto& [k, v] : state) body += (body.size() > 1 ? ",\"" : "\"") + k + "\":" + v;
  return body + "}";
}

// The world runs the production driver, io::PollDriver, and is its ports: the
// clock (the agenda's time, a result stamped by the results' clock), the host
// (the timer is an agenda item), the poller (a Poll becomes a request to the
// simulated server, answered through the agenda), the application (changes
// and statuses are recorded) and the step observer (every step is hashed and
// judged).
class PollWorld final : public io::Clock,
                        public io::Host,
                        public io::Poller,
                        public io::PollApplication,
                        public io::PollStepObserver {
 public:
  PollWorld(const PollScenario& scenario, const PollRunOptions& options, poll::State state)
      : scenario_(scenario),
        options_(options),
        driver_(std::move(state), io::PollDriverPorts{*this, *this, *this, *this, nullptr, this},
                io::PollDriverOptions{options.reducer, options.loop_defect}),
        heal_at_(heal_ms(scenario)),
        reference_(scenario.config),
        network_prng_(Prng::derive(scenario.seed, 0x7E7)),
        world_prng_(Prng::derive(scenario.seed, 0x5E2)),
        server_(scenario.config.endpoints.size()),
        version_(scenario.config.endpoints.size(), 0),
        flaky_(scenario.config.endpoints.size(), 0),
        endpoints_(scenario.config.endpoints.size()) {
    result_.endpoints.resize(scenario.config.endpoints.size());
    end_at_ = heal_at_;
    for (std::size_t i = 0; i < scenario.config.endpoints.size(); ++i)
      end_at_ = std::max(end_at_, heal_at_ + catch_up_bound_ms(scenario, i));
  }

  PollRunResult run() {
    for (std::uint32_t i = 0; i < server_.size(); ++i) {
      for (std::uint32_t k = 0; k < std::min<std::uint32_t>(scenario_.keys_max, 3); ++k) change(i);
      agenda_.push(next_change_in(), Item{ItemKind::change, i});
    }
    for (std::uint32_t f = 0; f < scenario_.faults.size(); ++f) {
      const PollFault& fault = scenario_.faults[f];
      if (fault.kind == PollFaultKind::stop || fault.kind == PollFaultKind::receiver_gone)
        agenda_.push(fault.at_ms, Item{ItemKind::app_stop, f});
      if (fault.kind == PollFaultKind::suspend)
        suspensions_.push_back({fault.at_ms, fault.at_ms + fault.duration_ms});
    }
    agenda_.push(end_at_, Item{ItemKind::check, 0});
    input([this] { driver_.start(); });
    while (!done_ && !agenda_.empty()) {
      if (result_.events >= options_.events_max) {
        result_.violations.push_back(
            Violation{Guarantee::liveness, "limit", "event limit reached (a hot loop?)", now_, 0});
        break;
      }
      const Item item = agenda_.pop();
      now_ = agenda_.now_ms();
      judge_late();
      handle(item);
    }
    result_.end_ms = now_;
    result_.heal_ms = heal_at_;
    result_.trace_hash = hash_.value();
    return std::move(result_);
  }

  // io::Clock: the world's time; while a result is fed, the results' clock.
  model::Instant now() override { return Instant{now_ + stamp_skew_ms_}; }
  std::int64_t unix_now_ms() override { return now_; }

  // io::Host: the driver's one timer is an agenda item; a newer call replaces
  // it (an older generation is ignored). A sleeping host wakes for it.
  void arm_timer(std::optional<model::Instant> deadline) override {
    timer_generation_ += 1;
    if (deadline)
      agenda_.push(awake_at(std::max(deadline->ms, now_)), Item{ItemKind::tick, timer_generation_});
  }
  // No auth provider: the driver offloads nothing (no credential refresh).
  void offload(Work work, io::Blocking) override { work()(); }

  // io::Poller: the request reaches the server after a one-way latency.
  void poll(std::size_t endpoint, const std::optional<std::string>& etag,
            std::string_view) override {
    result_.polls += 1;
    requests_.push_back(Request{static_cast<std::uint32_t>(endpoint), etag, 0, 0, false, {}, {}});
    agenda_.push(now_ + latency(),
                 Item{ItemKind::arrive, static_cast<std::uint32_t>(requests_.size() - 1)});
  }

  // io::PollApplication: what the application is told, recorded (the
  // reference keeps the application's mirror from the effects).
  void on_change(std::size_t endpoint, poll::ChangeKind kind, std::string_view,
                 std::string_view) override {
    result_.changes += 1;
    if (kind == poll::ChangeKind::removed && endpoint < server_.size())
      result_.endpoints[endpoint].removed += 1;
  }
  void on_status(std::size_t endpoint, const poll::Status& status) override {
    if (endpoint < server_.size()) result_.endpoints[endpoint].statuses.emplace_back(now_, status);
  }
  void on_stopped(poll::StopReason) override {}
  void on_diagnostic(const io::Diagnostic&) override {}

  // io::PollStepObserver: every step is recorded and hashed; the reference
  // judges it by the reducer's rules; the world notes what only it can judge
  // (the snapshot its server sent, catching up, the host awake for every due
  // poll).
  void on_step(const poll::Event& ev, const poll::State& after, const poll::Effects& fx) override {
    result_.events += 1;
    judge_answer(ev);
    record(fx);
    hash_.add(show(ev));
    std::string line;
    for (const poll::Effect& x : fx) {
      const std::string shown = show(x);
      hash_.add(shown);
      if (options_.keep_trace_text) line += " " + shown;
    }
    reference_.step(ev, fx, after, now_);
    if (!reference_.ok())
      for (Violation& v : reference_.take_violations()) report(std::move(v));
    if (const auto* ok = std::get_if<poll::PollSucceeded>(&ev);
        ok != nullptr && reference_.outcome() == PollReference::Outcome::success && served_at_ &&
        *served_at_ >= heal_at_ && !endpoints_[ok->endpoint].caught_up_at)
      endpoints_[ok->endpoint].caught_up_at = now_;
    note_dues();
    if (options_.keep_trace_text) result_.trace += show(ev) + " ->" + line + "\n";
  }

 private:
  void report(Violation v) {
    if (result_.violations.size() < violations_max) result_.violations.push_back(std::move(v));
  }
  void flag(RuleOf<poll_rules> rule, std::string message, std::size_t endpoint) {
    report(Violation{rule.rule.guarantee, rule.rule.name, std::move(message), now_,
                     static_cast<std::uint32_t>(endpoint)});
  }

  // After a step: by when, in the world's time, each endpoint the reference
  // says is due must be polled. The loop ticks at the deadline (or at once,
  // for one already past when it became known), and a sleeping host when it
  // wakes.
  void note_dues() {
    poll_by_.reset();
    for (std::size_t i = 0; i < endpoints_.size(); ++i) {
      EndpointTruth& e = endpoints_[i];
      const std::optional<model::Instant> due = reference_.due_at(i);
      if (due != e.due) {
        e.due = due;
        e.poll_by = due ? std::optional(awake_at(std::max(due->ms, now_))) : std::nullopt;
      }
      if (e.poll_by) poll_by_ = std::min(poll_by_.value_or(*e.poll_by), *e.poll_by);
    }
  }

  // Before the world's next item: no endpoint still waits past its poll-by
  // time (a Tick the loop never sent, or sent late).
  void judge_late() {
    if (!poll_by_ || now_ <= *poll_by_) return;
    for (std::size_t i = 0; i < endpoints_.size(); ++i) {
      EndpointTruth& e = endpoints_[i];
      if (!e.poll_by || now_ <= *e.poll_by) continue;
      flag("late",
           "due at " + std::to_string(e.due->ms) + " ms, so polled by " +
               std::to_string(*e.poll_by) + " ms (the host awake), still not polled at " +
               std::to_string(now_) + " ms",
           i);
      e.poll_by.reset();  // reported once
    }
    poll_by_.reset();
    for (const EndpointTruth& e : endpoints_)
      if (e.poll_by) poll_by_ = std::min(poll_by_.value_or(*e.poll_by), *e.poll_by);
  }

  // At the end of the catch-up bound: every endpoint must have caught up.
  void judge_caught_up() {
    for (std::size_t i = 0; i < endpoints_.size(); ++i) {
      const Ms bound = heal_at_ + catch_up_bound_ms(scenario_, i);
      const std::optional<Ms>& at = endpoints_[i].caught_up_at;
      if (!at || *at > bound)
        flag("catch-up",
             "no successful poll served after the heal at " + std::to_string(heal_at_) +
                 " ms came back by " + std::to_string(bound) + " ms",
             i);
    }
  }

  // The first instant at or after `t` when the client host is awake.
  Ms awake_at(Ms t) const {
    for (bool moved = true; moved;) {
      moved = false;
      for (const auto& [from, until] : suspensions_)
        if (t >= from && t < until) t = until, moved = true;
    }
    return t;
  }

  Ms next_change_in() {
    return now_ + std::max<Ms>(1, world_prng_.uniform(scenario_.change_every_ms / 2,
                                                      scenario_.change_every_ms * 3 / 2));
  }
  Ms latency() { return network_prng_.uniform(scenario_.latency_ms_min, scenario_.latency_ms_max); }

  // The server's state for endpoint `e` changes: a key is added, modified or removed.
  void change(std::uint32_t e) {
    Map& m = server_[e];
    const std::string key = "k" + std::to_string(world_prng_.uniform(
                                      0, static_cast<std::int64_t>(scenario_.keys_max) - 1));
    const auto it = m.find(key);
    if (it != m.end() && world_prng_.uniform(0, 2) == 0)
      m.erase(it);
    else
      m[key] =
          "\"v" + std::to_string(++value_counter_) + "\"";  // JSON text, as the body carries it
    version_[e] += 1;
  }

  void handle(const Item& item) {
    switch (item.kind) {
      case ItemKind::change:
        change(item.index);
        agenda_.push(next_change_in(), item);
        return;
      case ItemKind::arrive:
        return serve(item.index);
      case ItemKind::respond: {
        const Ms wake = awake_at(now_);
        if (wake > now_) return agenda_.push(wake, item);  // the host sleeps: handled on waking
        return respond(item.index);
      }
      case ItemKind::tick:
        if (item.index == timer_generation_)
          driver_.on_timer();  // else replaced by a later arm_timer
        return;
      case ItemKind::app_stop: {
        const Ms wake = awake_at(now_);
        if (wake > now_) return agenda_.push(wake, item);
        result_.stopped_by_scenario = result_.stopped_by_scenario || !driver_.finished();
        if (scenario_.faults[item.index].kind == PollFaultKind::stop)
          input([this] { driver_.stop(); });
        else
          input([this] { driver_.receiver_gone(); });
        return;
      }
      case ItemKind::check:
        if (!result_.stopped_by_scenario) judge_caught_up();
        input([this] { driver_.stop(); });  // the reference judges the stop
        done_ = true;
        return;
    }
  }

  // The server answers from its state now, or with the error of a fault active now.
  void serve(std::uint32_t id) {
    Request& r = requests_[id];
    r.served_at = now_;
    r.status = 200;
    Ms extra_ms = 0;
    bool decided = false;
    for (const PollFault& f : scenario_.faults) {
      if (now_ < f.at_ms || now_ >= f.at_ms + f.duration_ms) continue;
      if (f.endpoint != all_endpoints && f.endpoint != r.endpoint) continue;
      if (f.kind == PollFaultKind::slow)
        extra_ms = std::max(extra_ms, f.param);  // the slowest one applies
      if (decided) continue;
      switch (f.kind) {
        case PollFaultKind::not_served:
          r.status = 404, decided = true;
          break;
        case PollFaultKind::unauthorised:
          r.status = 401, decided = true;
          break;
        case PollFaultKind::unavailable:
          r.status = 503, decided = true;
          break;
        case PollFaultKind::flaky:
          if (flaky_[r.endpoint]++ % 2 == 0) r.status = 503, decided = true;
          break;
        case PollFaultKind::server_error:
          r.status = static_cast<std::uint16_t>(f.param), decided = true;
          break;
        case PollFaultKind::transport:
          r.status = 0, decided = true;
          break;
        case PollFaultKind::malformed:
          r.malformed = true, decided = true;
          break;
        default:
          break;
      }
    }
    r.response.status = r.status;
    if (r.status == 200) {
      const std::string etag = etag_of(version_[r.endpoint]);
      if (scenario_.etags && r.etag == etag && !r.malformed) {
        r.response.status = 304;
        r.response.not_modified = true;
      } else {
        r.served = server_[r.endpoint];
        r.response.body = json_body(r.served);
        if (scenario_.etags) r.response.etag = etag;
        if (r.malformed)  // a key listed twice: the driver must refuse it, not keep the last
          r.response.body.insert(
              1, std::string(R"("dup":"1","dup":"2")") + (r.served.empty() ? "" : ","));
      }
    }
    agenda_.push(now_ + latency() + extra_ms, Item{ItemKind::respond, id});
  }

  // The answer goes to the driver, which makes it an event as in PollRunner
  // (io::PollExchange: the body parsed, a 304, the ETag of the next request;
  // nothing once the session has stopped), stamped by the results' clock.
  void respond(std::uint32_t id) {
    Request& r = requests_[id];
    std::expected<io::PollResponse, std::string> answer = std::move(r.response);
    if (r.status == 0) answer = std::unexpected(std::string("connection reset (simulated)"));
    const ResultClock stamped(*this);
    answering_ = id;
    input([&] { driver_.answered(r.endpoint, answer); }, r.served_at);
    answering_.reset();
  }

  // The step of an answer: a failure is counted, and a snapshot must be the
  // state its body was written from.
  void judge_answer(const poll::Event& ev) {
    if (std::holds_alternative<poll::PollFailed>(ev)) result_.failed_polls += 1;
    const auto* ok = std::get_if<poll::PollSucceeded>(&ev);
    if (ok == nullptr || ok->endpoint >= server_.size()) return;
    result_.endpoints[ok->endpoint].successes += 1;
    if (ok->snapshot && answering_ && as_map(*ok->snapshot) != requests_[*answering_].served)
      flag("snapshot", "the snapshot parsed is not the state the body was written from",
           ok->endpoint);
  }

  // While it lives, the driver's clock reads the results' clock.
  struct ResultClock {
    PollWorld& world;
    explicit ResultClock(PollWorld& w) : world(w) {
      world.stamp_skew_ms_ = w.scenario_.result_clock_skew_ms;
    }
    ~ResultClock() { world.stamp_skew_ms_ = 0; }
    ResultClock(const ResultClock&) = delete;
    ResultClock& operator=(const ResultClock&) = delete;
  };

  // Every input goes through the driver. The world's ports never call it
  // back (a Poll becomes an agenda item), so an input always steps at once
  // and its `served_at` is the one catching up is judged by.
  template <class Input>
  void input(Input&& fn, std::optional<Ms> served_at = std::nullopt) {
    if (driver_.executing())
      result_.violations.push_back(Violation{Guarantee::driver_loop, "limit",
                                             "an input waited in the loop's inbox", now_, 0});
    served_at_ = served_at;
    fn();
    served_at_.reset();
  }

  // The scheduled polls and the 503 retries, by endpoint.
  void record(const poll::Effects& fx) {
    for (const poll::Effect& x : fx)
      if (const auto* p = std::get_if<poll::Poll>(&x);
          p != nullptr && p->endpoint < server_.size()) {
        EndpointReport& r = result_.endpoints[p->endpoint];
        (p->retry_in_tick ? r.retries_at_ms : r.polls_at_ms).push_back(now_);
      }
  }

  const PollScenario& scenario_;
  const PollRunOptions& options_;
  io::PollDriver driver_;
  Ms heal_at_;
  Ms end_at_ = 0;
  PollReference reference_;  // the reducer's rules
  Prng network_prng_;
  Prng world_prng_;
  Agenda<Item> agenda_;
  std::vector<Map> server_;
  std::vector<std::uint64_t> version_;
  std::vector<std::uint64_t> flaky_;
  std::vector<Request> requests_;
  std::vector<std::pair<Ms, Ms>> suspensions_;
  std::uint64_t value_counter_ = 0;
  Ms now_ = 0;
  Ms stamp_skew_ms_ = 0;                    // the results' clock, while a result is fed
  std::optional<Ms> served_at_;             // the input being fed: when its request was served
  std::optional<std::uint32_t> answering_;  // the request whose answer is being fed
  std::uint32_t timer_generation_ = 0;
  bool done_ = false;
  // The world's own judgement of each endpoint.
  struct EndpointTruth {
    std::optional<model::Instant> due;  // the reference's due time, as last seen
    std::optional<Ms> poll_by;          // the world's time its poll must come by
    std::optional<Ms> caught_up_at;     // a successful poll served after the heal came back
  };
  std::vector<EndpointTruth> endpoints_;
  std::optional<Ms> poll_by_;  // the earliest of endpoints_[].poll_by
  Hasher hash_;
  PollRunResult result_;
};

bool chance(Prng& prng, std::int64_t percent) { return prng.uniform(0, 99) < percent; }

poll::Config draw_config(Prng& prng, std::string& origin) {
  const std::int64_t kind = prng.uniform(0, 3);
  if (kind == 0) {
    origin = "zero_poll";
    return model::presets::zero_poll();
  }
  if (kind == 1) {
    const std::int64_t interval_ms = prng.uniform(1, 20) * 250;
    origin = "koprs_poll(" + std::to_string(interval_ms) + ")";
    return model::presets::koprs_poll(interval_ms);
  }
  constexpr std::array<double, 4> multipliers{1.0, 1.5, 2.0, 3.0};
  poll::Config c;
  const std::int64_t n = prng.uniform(1, 4);
  origin = "random(" + std::to_string(n) + " endpoints)";
  for (std::int64_t i = 0; i < n; ++i) {
    poll::Backoff b;
    b.delay_ms_initial = prng.uniform(1, 20) * 250;
    b.multiplier = multipliers[static_cast<std::size_t>(prng.uniform(0, 3))];
    b.delay_ms_max = b.delay_ms_initial * prng.uniform(1, 32);
    b.jitter = static_cast<model::JitterKind>(prng.uniform(0, 5));
    b.jitter_fraction = static_cast<double>(prng.uniform(0, 100)) / 100.0;
    c.endpoints.push_back(
        poll::EndpointConfig{"e" + std::to_string(i), prng.uniform(2, 60) * 250, b});
  }
  return c;
}

std::int64_t draw_param(Prng& prng, PollFaultKind k, std::int64_t cadence_ms_max) {
  constexpr std::array<std::int64_t, 6> statuses{500, 502, 504, 400, 403, 429};
  switch (k) {
    case PollFaultKind::server_error:
      return statuses[static_cast<std::size_t>(prng.uniform(0, 5))];
    case PollFaultKind::slow:
      return prng.uniform(100, 3 * cadence_ms_max);
    default:
      return 0;
  }
}

Ms draw_duration(Prng& prng, PollFaultKind k) {
  switch (k) {
    case PollFaultKind::stop:
    case PollFaultKind::receiver_gone:
      return 0;
    case PollFaultKind::suspend:
      return prng.uniform(1000, 60000);
    default:
      return prng.uniform(100, 60000);
  }
}

}  // namespace

std::string_view name_of(PollFaultKind kind) {
  switch (kind) {
    case PollFaultKind::not_served:
      return "not_served";
    case PollFaultKind::unauthorised:
      return "unauthorised";
    case PollFaultKind::unavailable:
      return "unavailable";
    case PollFaultKind::flaky:
      return "flaky";
    case PollFaultKind::server_error:
      return "server_error";
    case PollFaultKind::transport:
      return "transport";
    case PollFaultKind::malformed:
      return "malformed";
    case PollFaultKind::slow:
      return "slow";
    case PollFaultKind::suspend:
      return "suspend";
    case PollFaultKind::stop:
      return "stop";
    case PollFaultKind::receiver_gone:
      return "receiver_gone";
  }
  return "?";
}

PollScenario poll_swarm_scenario(std::uint64_t seed) {
  Prng prng = Prng::derive(seed, 0x9011);
  PollScenario scenario;
  scenario.seed = seed;
  scenario.config = draw_config(prng, scenario.origin);
  scenario.safety_ms = prng.uniform(20, 120) * 1000;
  scenario.change_every_ms = prng.uniform(1, 40) * 100;
  scenario.keys_max = static_cast<std::uint32_t>(prng.uniform(1, 16));
  scenario.latency_ms_min = prng.uniform(0, 50);
  scenario.latency_ms_max = scenario.latency_ms_min + prng.uniform(0, 300);
  scenario.etags = chance(prng, 50);
  std::int64_t cadence_ms_max = 0;
  for (const auto& e : scenario.config.endpoints)
    cadence_ms_max = std::max(cadence_ms_max, e.cadence_ms);
  // Swarm testing: each seed disables some kinds and weights the rest. Stops
  // end the session (and skip the catch-up check): rare.
  std::array<std::int64_t, poll_fault_kind_count> weights{};
  for (auto& x : weights) x = chance(prng, 50) ? prng.uniform(1, 10) : 0;
  for (const PollFaultKind k : {PollFaultKind::stop, PollFaultKind::receiver_gone}) {
    auto& x = weights[static_cast<std::size_t>(k)];
    x = chance(prng, 15) ? std::min<std::int64_t>(x, 1) : 0;
  }
  std::int64_t total = 0;
  for (const std::int64_t x : weights) total += x;
  const std::int64_t n = total == 0 ? 0 : prng.uniform(0, 12);
  const auto endpoints = static_cast<std::int64_t>(scenario.config.endpoints.size());
  for (std::int64_t j = 0; j < n; ++j) {
    std::int64_t pick = prng.uniform(0, total - 1);
    std::size_t k = 0;
    while (pick >= weights[k]) pick -= weights[k++];
    PollFault f{static_cast<PollFaultKind>(k)};
    f.endpoint = chance(prng, 30) ? all_endpoints
                                  : static_cast<std::uint32_t>(prng.uniform(0, endpoints - 1));
    f.at_ms = prng.uniform(0, scenario.safety_ms - 1);
    f.duration_ms = draw_duration(prng, f.kind);
    f.param = draw_param(prng, f.kind, cadence_ms_max);
    scenario.faults.push_back(f);
  }
  std::sort(scenario.faults.begin(), scenario.faults.end(),
            [](const PollFault& a, const PollFault& b) { return a.at_ms < b.at_ms; });
  // Results stamped by a skewed clock, from a stream of its own: the draws
  // above stay what they were for every seed.
  Prng skew = Prng::derive(seed, 0x5CE3);
  if (chance(skew, 30)) scenario.result_clock_skew_ms = skew.uniform(-5000, 5000);
  return scenario;
}

Ms heal_ms(const PollScenario& scenario) {
  Ms h = scenario.safety_ms;
  for (const PollFault& f : scenario.faults) h = std::max(h, f.at_ms + f.duration_ms);
  return h;
}

Ms catch_up_bound_ms(const PollScenario& scenario, std::size_t endpoint) {
  Ms slow_ms_max = 0;
  for (const PollFault& f : scenario.faults)
    if (f.kind == PollFaultKind::slow) slow_ms_max = std::max(slow_ms_max, f.param);
  const poll::EndpointConfig& e = scenario.config.endpoints.at(endpoint);
  // A backoff runs from the failure's stamp: a results' clock ahead of the
  // world's puts the next poll that much later.
  const Ms skew_ms = std::max<Ms>(0, scenario.result_clock_skew_ms);
  return 3 * scenario.latency_ms_max + slow_ms_max +
         std::max(e.cadence_ms, delay_ms_most(e.backoff) + skew_ms) + 1;
}

PollRunResult run_poll(const PollScenario& scenario, const PollRunOptions& options) {
  poll::Config config = scenario.config;
  config.seed = Prng::derive(scenario.seed, 0x5E55).next();
  auto state = poll::make(config);
  if (!state) {
    PollRunResult r;
    r.error = std::string(state.error().field) + ": " + std::string(state.error().reason);
    return r;
  }
  return PollWorld(scenario, options, std::move(*state)).run();
}

std::string describe(const PollRunResult& r) {
  std::string out;
  if (!r.error.empty()) out += "error: " + r.error + "\n";
  for (const Violation& v : r.violations)
    out += std::string(v.rule) + " e" + std::to_string(v.subject) + " @" + std::to_string(v.at_ms) +
           ": " + v.message + "\n";
  return out;
}

PollSwarmSummary run_poll_swarm(std::uint64_t seed_first, std::uint64_t seed_last,
                                const PollRunOptions& options) {
  PollSwarmSummary sum;
  for (std::uint64_t seed = seed_first; seed <= seed_last; ++seed) {
    const PollScenario s = poll_swarm_scenario(seed);
    const PollRunResult r = run_poll(s, options);
    sum.scenarios += 1;
    sum.events += r.events;
    sum.polls += r.polls;
    sum.failed_polls += r.failed_polls;
    sum.changes += r.changes;
    if (!r.ok()) {
      sum.failing += 1;
      if (sum.failures.size() < 20) {
        const std::string first = describe(r);
        sum.failures.push_back("poll seed " + std::to_string(seed) + " (" + s.origin +
                               "): " + first.substr(0, first.find('\n')));
      }
    }
    if (seed == seed_last) break;  // seed_last may be UINT64_MAX
  }
  return sum;
}

}  // namespace tether::sim
