#include "connection.hpp"

#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace tether::nats {

std::string status_text(natsStatus status) {
  std::string text = natsStatus_GetText(status);
  natsStatus last = NATS_OK;
  const char* detail = nats_GetLastError(&last);
  if (detail != nullptr && *detail != '\0' && last == status && text != detail)
    text += std::string(" (") + detail + ")";
  return text;
}

// What nats.c's handlers reach. Each edge of the link is reported once;
// nothing before arm() (the state is kept: arm() reports a link already up)
// and nothing after close(). The sink is called under the relay's mutex, so
// that close() waits for a call under way.
struct Connection::Relay {
  std::mutex mutex;
  ConnectionSink sink;
  bool armed = false;     // arm() ran: report
  bool detached = false;  // close() ran: report nothing more
  bool spoke = false;     // a handler reported: open() must not report over it
  bool up = false;
  std::string detail;  // of the last change

  void link(bool now_up, const std::string& text) {
    std::lock_guard lock(mutex);
    spoke = true;
    if (detached || up == now_up) return;
    up = now_up;
    detail = text;
    if (armed) sink.on_link(now_up, text);
  }
  void error(const std::string& text) {
    std::lock_guard lock(mutex);
    if (armed && !detached) sink.on_subscription_error(text);
  }
  void arm() {
    std::lock_guard lock(mutex);
    if (armed || detached) return;
    armed = true;
    if (up) sink.on_link(true, detail);  // the sink's side starts down
  }
};

namespace {

// The relays by number; never destroyed (nats.c's threads may call a handler
// while the process exits).
struct Registry {
  std::mutex mutex;
  std::uint64_t next = 1;
  std::unordered_map<std::uint64_t, std::shared_ptr<Connection::Relay>> relays;
};
Registry& registry() {
  static auto* r = new Registry();
  return *r;
}

void* closure_of(std::uint64_t id) {
  return reinterpret_cast<void*>(static_cast<std::uintptr_t>(id));
}

std::shared_ptr<Connection::Relay> relay_of(void* closure) {
  const auto id = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(closure));
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  const auto found = r.relays.find(id);
  return found == r.relays.end() ? nullptr : found->second;
}

std::string connected_url(natsConnection* nc) {
  char url[256] = {};
  if (natsConnection_GetConnectedUrl(nc, url, sizeof url) != NATS_OK) return "the server";
  return url;
}

std::string drop_reason(natsConnection* nc) {
  const char* text = nullptr;
  const natsStatus status = natsConnection_GetLastError(nc, &text);
  if (status == NATS_OK || text == nullptr || *text == '\0') return "the connection dropped";
  return std::string("the connection dropped: ") + text;
}

void on_connected(natsConnection* nc, void* closure) {
  if (auto relay = relay_of(closure)) relay->link(true, connected_url(nc));
}
void on_disconnected(natsConnection* nc, void* closure) {
  if (auto relay = relay_of(closure)) relay->link(false, drop_reason(nc));
}
void on_closed(natsConnection*, void* closure) {
  if (auto relay = relay_of(closure)) relay->link(false, "the connection was closed");
}
// A missed heartbeat that nats.c recovered from (it recreated the ordered
// consumer) is no news; `sub` is not kept alive by nats.c here: not read.
void on_error(natsConnection*, natsSubscription* sub, natsStatus status, void* closure) {
  if (sub == nullptr || status == NATS_MISSED_HEARTBEAT) return;
  if (auto relay = relay_of(closure)) relay->error(status_text(status));
}

natsStatus configure(natsOptions* opts, const ConnectionSettings& s, void* closure) {
  std::vector<const char*> servers;
  for (const std::string& url : s.urls) servers.push_back(url.c_str());
  natsStatus st = natsOptions_SetServers(opts, servers.data(), static_cast<int>(servers.size()));
  if (st == NATS_OK) st = natsOptions_SetNoRandomize(opts, true);  // the order given
  if (st == NATS_OK) st = natsOptions_SetName(opts, s.name.c_str());
  if (st == NATS_OK) st = natsOptions_SetTimeout(opts, s.connect_timeout_ms);
  if (st == NATS_OK) st = natsOptions_SetMaxReconnect(opts, -1);  // forever
  if (st == NATS_OK) st = natsOptions_SetReconnectWait(opts, s.reconnect_wait_ms);
  if (st == NATS_OK)
    st = natsOptions_SetReconnectJitter(opts, s.reconnect_jitter_ms, s.reconnect_jitter_ms);
  if (st == NATS_OK) st = natsOptions_SetPingInterval(opts, s.ping_interval_ms);
  if (st == NATS_OK) st = natsOptions_SetMaxPingsOut(opts, 2);
  // A lookup under way when the link drops returns at once (the reducer has
  // released it) instead of holding the runner's worker until its timeout.
  if (st == NATS_OK) st = natsOptions_SetFailRequestsOnDisconnect(opts, true);
  // A server not there yet: natsConnection_Connect returns NATS_NOT_YET_CONNECTED
  // and nats.c keeps trying in the background, calling on_connected.
  if (st == NATS_OK) st = natsOptions_SetRetryOnFailedConnect(opts, true, on_connected, closure);
  if (st == NATS_OK) st = natsOptions_SetDisconnectedCB(opts, on_disconnected, closure);
  if (st == NATS_OK) st = natsOptions_SetReconnectedCB(opts, on_connected, closure);
  if (st == NATS_OK) st = natsOptions_SetClosedCB(opts, on_closed, closure);
  if (st == NATS_OK) st = natsOptions_SetErrorHandler(opts, on_error, closure);
  return st;
}

// Connected within natsConnection_Connect: no handler says so. Unless one has
// spoken since (a drop already), it is up.
void note_connected_at_once(Connection::Relay& relay, natsConnection* nc) {
  if (natsConnection_Status(nc) != NATS_CONN_STATUS_CONNECTED) return;
  std::lock_guard lock(relay.mutex);
  if (relay.spoke) return;
  relay.spoke = true;
  relay.up = true;
  relay.detail = connected_url(nc);
}

}  // namespace

std::expected<std::unique_ptr<Connection>, std::string> Connection::open(
    const ConnectionSettings& settings, ConnectionSink sink) {
  std::unique_ptr<Connection> connection(new Connection());
  connection->relay_ = std::make_shared<Relay>();
  connection->relay_->sink = std::move(sink);
  {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    connection->id_ = r.next++;
    r.relays.emplace(connection->id_, connection->relay_);
  }
  natsOptions* opts = nullptr;
  natsStatus st = natsOptions_Create(&opts);
  if (st == NATS_OK) st = configure(opts, settings, closure_of(connection->id_));
  if (st == NATS_OK) st = natsConnection_Connect(&connection->nc_, opts);  // clones opts
  natsOptions_Destroy(opts);
  if (st != NATS_OK && st != NATS_NOT_YET_CONNECTED)
    return std::unexpected("NATS connection: " + status_text(st));
  jsOptions js_options;
  jsOptions_Init(&js_options);
  js_options.Wait = settings.request_timeout_ms;
  st = natsConnection_JetStream(&connection->js_, connection->nc_, &js_options);
  if (st != NATS_OK) return std::unexpected("JetStream context: " + status_text(st));
  note_connected_at_once(*connection->relay_, connection->nc_);
  return connection;
}

Connection::~Connection() {
  close();
  if (js_ != nullptr) jsCtx_Destroy(js_);
  if (nc_ != nullptr) natsConnection_Destroy(nc_);
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.relays.erase(id_);
}

void Connection::arm() { relay_->arm(); }

void Connection::close() {
  {
    std::lock_guard lock(relay_->mutex);
    relay_->detached = true;
  }
  if (nc_ != nullptr) natsConnection_Close(nc_);
}

bool Connection::up() const {
  std::lock_guard lock(relay_->mutex);
  return relay_->up;
}

}  // namespace tether::nats
