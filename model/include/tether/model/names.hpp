#pragma once
// Stable lowercase names for every state, event, effect and enum value: used by
// traces, tools, docs and test messages. Renaming one changes trace files.

#include <string_view>
#include <tether/model/config.hpp>
#include <tether/model/effect.hpp>
#include <tether/model/event.hpp>
#include <tether/model/state.hpp>
#include <tether/model/status.hpp>

namespace tether::model {

std::string_view name_of(const Phase& phase);
std::string_view name_of(const Event& event);
std::string_view name_of(const Effect& effect);
std::string_view name_of(Reason reason);
std::string_view name_of(StatusKind kind);
std::string_view name_of(CloseCause cause);
std::string_view name_of(ReconnectWhy why);
std::string_view name_of(JitterKind kind);
std::string_view name_of(ResumeFrom from);
std::string_view name_of(GapCause cause);
std::string_view name_of(DiscardReason reason);
std::string_view name_of(RefreshCause cause);

}  // namespace tether::model
