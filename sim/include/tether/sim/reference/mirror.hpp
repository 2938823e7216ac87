#pragma once
// The reference oracle of model::mirror (docs/freshness-mirror.md, "Rules"):
// every rule the reducer promises, written once, judged after every step. It
// recomputes the entries, the stream health and the backfill status from the
// events alone (pushes, heartbeats, polls) and asks the reducer's state only
// what an application may ask (mirror::freshness_of, mirror::find,
// mirror::next_deadline, the number of entries), the answers it judges.
//
// Used by the model's property tests (tests/model/mirror/reference.cpp, over
// random event sequences) and by the simulator's mirror world
// (sim/src/mirror_world.cpp, over the production loop), which adds only what
// needs the world's truth: every entry's value is one the source held.
//
// Its rules (mirror_rules in violation.hpp), after every step:
//   not-quiet, stop       nothing before Started nor after StopRequested; a
//                         stop is reported (rule 8)
//   status-unchanged      ReportStatus only when the status changes
//   write-outcome         each write has exactly one outcome, the recomputed
//                         one: applied iff not older than the entry, within
//                         the limits (rules 3, 8)
//   health-not-truth      the stream health is the truth at now from push
//                         traffic alone, degraded since heard + budget (rule 4)
//   backfill-not-truth    backfill warm / cold from the polls (rule 5)
//   entries               the mirror holds exactly the recomputed entries:
//                         value, source, written_at (rule 1)
//   fresh-past-threshold, freshness   freshness_of at now, at both sides of
//                         each entry's threshold (and at a probe the caller
//                         chooses) is the recomputed one (rule 2)
//   never                 a key never written is Never
//   deadline-not-ahead    a Tick leaves no deadline at or before it
// and, when the driver says nothing was fed for a while (idle_until):
//   status-late           the status the application holds is still the truth
//                         (a status falls due at its deadline, not later: rule 6)

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <tether/model/mirror/reducer.hpp>
#include <tether/sim/violation.hpp>
#include <vector>

namespace tether::sim {

// What the reference saw, for a world's behaviour counters.
struct MirrorTally {
  std::uint64_t polled_values = 0;           // ValuePolled events judged
  std::uint64_t polls_older_than_entry = 0;  // WriteIgnored older_than_entry
  std::uint64_t fresh_answers = 0;           // entries Fresh at a step's now
};

class MirrorReference {
 public:
  // Findings are appended to `sink` (which must outlive the reference), each
  // stamped with the time of the step (or idle instant) that showed it.
  MirrorReference(const model::mirror::Config& config, std::vector<Violation>& sink);

  // One step: the state after it (asked as an application would), the event
  // as fed, its effects; `probe_ms`: one more instant to ask freshness_of at.
  void step(const model::mirror::State& after, const model::mirror::Event& event,
            const model::mirror::Effects& effects, std::optional<Ms> probe_ms = std::nullopt);

  // Nothing was fed after the last step up to and including `at_ms` (at most
  // the last deadline - 1: a driver owes the reducer a Tick at its deadline).
  void idle_until(Ms at_ms);

  bool running() const { return started_ && !stopped_; }
  const model::mirror::Status& reported() const { return reported_; }  // the application's
  const MirrorTally& tally() const { return tally_; }

 private:
  // An entry as recomputed: what the mirror must hold for its key.
  struct Expected {
    std::optional<std::string> value;  // nullopt: removed
    model::mirror::Source source;
    Ms as_of;  // its written_at
  };

  void flag(RuleOf<mirror_rules> rule, std::string message, Ms at_ms);
  void flag(RuleOf<mirror_rules> rule, std::string message) {
    flag(rule, std::move(message), now_ms_);
  }

  // The event: the recomputation.
  void on(const model::mirror::Started& e);
  void on(const model::mirror::StopRequested& e);
  void on(const model::mirror::Tick&) {}
  void on(const model::mirror::ValuePushed& e);
  void on(const model::mirror::RemovalPushed& e);
  void on(const model::mirror::HeartbeatReceived& e);
  void on(const model::mirror::ValuePolled& e);
  void on(const model::mirror::RemovalPolled& e);
  void on(const model::mirror::PollCompleted& e);
  void write(const std::string& key, const std::optional<std::string>& value,
             model::mirror::Source source, Ms as_of);
  Ms polled(model::Instant observed_at);

  // The truth at `at_ms`, from the pushes and polls seen.
  model::mirror::StreamHealth health_at(Ms at_ms) const;
  model::mirror::Backfill backfill_at(Ms at_ms) const;

  void judge_effects(const model::mirror::Effects& effects);
  void judge_status();
  void judge_entries(const model::mirror::State& after, std::optional<Ms> probe_ms);
  void judge_entry(const model::mirror::State& after, const std::string& key, const Expected& want,
                   std::optional<Ms> probe_ms);

  model::mirror::Config config_;
  std::vector<Violation>* sink_;
  MirrorTally tally_;
  Ms now_ms_ = 0;  // the step's time (violations are stamped with it)

  bool started_ = false;
  bool stopped_ = false;
  Ms started_at_ = 0;
  Ms clock_ = 0;  // the latest time seen (a driver's clock may step back)
  std::optional<Ms> last_push_, last_poll_;
  std::map<std::string, Expected, std::less<>> want_;
  model::mirror::Status reported_;
  std::optional<bool> wrote_;  // this step's write: applied (true) or ignored (false)
};

}  // namespace tether::sim
