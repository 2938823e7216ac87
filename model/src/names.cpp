#include <array>
#include <tether/model/names.hpp>

namespace tether::model {

namespace {
template <class Variant, std::size_t N>
std::string_view by_index(const Variant& v, const std::array<std::string_view, N>& names) {
  static_assert(std::variant_size_v<Variant> == N, "a name for every alternative");
  return names[v.index()];
}

template <std::size_t N, class Enum>
std::string_view by_value(Enum e, const std::array<std::string_view, N>& names) {
  const auto i = static_cast<std::size_t>(e);
  return i < N ? names[i] : std::string_view{"unknown"};
}
}  // namespace

std::string_view name_of(const Phase& phase) {
  static constexpr std::array<std::string_view, 10> names{
      "Idle",           "Connecting", "Confirming", "Streaming", "BackingOff",
      "RefreshingAuth", "Paused",     "Stopped",    "GaveUp",    "Failed"};
  return by_index(phase, names);
}

std::string_view name_of(const Event& event) {
  static constexpr std::array<std::string_view, 19> names{
      "Started",           "StopRequested",    "Tick",
      "ConnectionOpened",  "ConnectionClosed", "ServerRejected",
      "BytesReceived",     "FrameReceived",    "CursorExpired",
      "ReplayFinished",    "DeliveryAcked",    "AuthRefreshed",
      "AuthRefreshFailed", "CheckpointSaved",  "CheckpointSaveFailed",
      "NetworkRestored",   "PauseRequested",   "ResumeRequested",
      "ReconnectRequested"};
  return by_index(event, names);
}

std::string_view name_of(const Effect& effect) {
  static constexpr std::array<std::string_view, 8> names{
      "Connect",   "CloseConnection", "Deliver",     "DiscardFrame",
      "ReportGap", "SaveCheckpoint",  "RefreshAuth", "ReportStatus"};
  return by_index(effect, names);
}

std::string_view name_of(Reason reason) {
  static constexpr std::array<std::string_view, 25> names{"none",
                                                          "connect_timeout",
                                                          "confirm_timeout",
                                                          "transport_error",
                                                          "unexpected_eof",
                                                          "protocol_error",
                                                          "clean_close",
                                                          "heartbeat_timeout",
                                                          "server_error",
                                                          "rate_limited",
                                                          "auth_refresh_failed",
                                                          "cursor_resync",
                                                          "stop_requested",
                                                          "replay_complete",
                                                          "attempts_exhausted",
                                                          "outage_too_long",
                                                          "unauthorized",
                                                          "rejected_after_refresh",
                                                          "http_status",
                                                          "cursor_too_old",
                                                          "unrecoverable",
                                                          "checkpoint_unreadable",
                                                          "pause_requested",
                                                          "network_changed",
                                                          "restart_requested"};
  static_assert(names.size() == reason_count, "a reason without a name");
  return by_value(reason, names);
}

std::string_view name_of(StatusKind kind) {
  static constexpr std::array<std::string_view, 9> names{
      "idle",    "connecting", "streaming", "backing_off", "refreshing_auth",
      "stopped", "gave_up",    "failed",    "paused"};
  return by_value(kind, names);
}

std::string_view name_of(CloseCause cause) {
  static constexpr std::array<std::string_view, 5> names{
      "clean_close", "unexpected_eof", "transport_error", "protocol_error", "unrecoverable"};
  return by_value(cause, names);
}

std::string_view name_of(ReconnectWhy why) {
  static constexpr std::array<std::string_view, 2> names{"network_changed", "restart"};
  return by_value(why, names);
}

std::string_view name_of(JitterKind kind) {
  static constexpr std::array<std::string_view, 6> names{"none",         "full",         "equal",
                                                         "decorrelated", "proportional", "upward"};
  return by_value(kind, names);
}

std::string_view name_of(ResumeFrom from) {
  static constexpr std::array<std::string_view, 4> names{"server_default", "cursor", "oldest",
                                                         "live"};
  return by_value(from, names);
}

std::string_view name_of(GapCause cause) {
  static constexpr std::array<std::string_view, 2> names{"missing", "cursor_too_old"};
  return by_value(cause, names);
}

std::string_view name_of(DiscardReason reason) {
  static constexpr std::array<std::string_view, 2> names{"duplicate", "not_streaming"};
  return by_value(reason, names);
}

std::string_view name_of(RefreshCause cause) {
  static constexpr std::array<std::string_view, 2> names{"rejected", "expiring"};
  return by_value(cause, names);
}

}  // namespace tether::model
