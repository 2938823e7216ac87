#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <tether/io/poll_exchange.hpp>
#include <utility>

namespace tether::io {

namespace poll = model::poll;

std::expected<poll::Snapshot, std::string> parse_snapshot(std::string_view body) {
  // nlohmann keeps the last of a key listed twice; the snapshot refuses a
  // duplicate (docs/polling.md, "Snapshot diff"), so the parse notes it.
  std::set<std::string> keys;
  std::optional<std::string> duplicate;
  const nlohmann::json::parser_callback_t note_keys =
      [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
        if (depth == 1 && event == nlohmann::json::parse_event_t::key && !duplicate) {
          const auto& key = parsed.get_ref<const std::string&>();
          if (!keys.insert(key).second) duplicate = key;
        }
        return true;
      };
  nlohmann::json document = nlohmann::json::parse(body, note_keys, /*allow_exceptions=*/false);
  if (document.is_discarded()) return std::unexpected("body is not JSON");
  if (!document.is_object()) return std::unexpected("body is JSON but not an object");
  if (duplicate) return std::unexpected("duplicate key '" + *duplicate + "'");
  std::vector<poll::Entry> entries;
  entries.reserve(document.size());
  for (const auto& [key, value] : document.items())
    entries.push_back({key, value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
  auto snapshot = poll::Snapshot::from_entries(std::move(entries));
  if (!snapshot)
    return std::unexpected(std::string(snapshot.error().reason) + " '" + snapshot.error().key +
                           "'");
  return std::move(*snapshot);
}

PollExchange::PollExchange(const poll::Config& config) : etags_(config.endpoints.size()) {
  names_.reserve(config.endpoints.size());
  for (const poll::EndpointConfig& e : config.endpoints) names_.push_back(e.name);
}

PollExchange::Outcome PollExchange::answer(
    std::size_t endpoint, const std::expected<PollResponse, std::string>& response) {
  const std::string& name = names_.at(endpoint);
  Outcome out{poll::PollFailed{{}, endpoint, 0}, {}, false};
  if (!response) {
    out.diagnostics.push_back(
        {Diagnostic::Kind::connection, "poll " + name + ": " + response.error()});
    return out;
  }
  for (const std::string& notice : response->notices)
    out.diagnostics.push_back({Diagnostic::Kind::connection, "poll " + name + ": " + notice});
  out.unauthorised = response->status == 401;
  if (response->not_modified) {
    out.event = poll::PollSucceeded{{}, endpoint, std::nullopt};
    return out;
  }
  if (response->status != 200) {
    out.event = poll::PollFailed{{}, endpoint, response->status};
    return out;
  }
  auto snapshot = parse_snapshot(response->body);
  if (!snapshot) {
    out.diagnostics.push_back(
        {Diagnostic::Kind::protocol, "poll " + name + ": malformed body: " + snapshot.error()});
    out.event = poll::PollFailed{{}, endpoint, 200};
    return out;
  }
  etags_[endpoint] = response->etag;
  out.event = poll::PollSucceeded{{}, endpoint, std::move(*snapshot)};
  return out;
}

}  // namespace tether::io
