#include "connection.hpp"

#include <chrono>
#include <condition_variable>
#include <mutex>
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
// nothing after close().
struct Connection::Relay {
  std::mutex mutex;
  std::condition_variable changed;
  LinkSink sink;
  bool detached = false;  // close() ran: report nothing more
  bool spoke = false;     // a handler reported: open() must not report over it
  bool up = false;
  bool closed = false;  // nats.c's closed callback ran: it calls nothing more

  void report(bool now_up, const std::string& detail) {
    std::lock_guard lock(mutex);
    spoke = true;
    if (detached || up == now_up) return;
    up = now_up;
    sink(now_up, detail);
  }
};

namespace {

Connection::Relay& relay_of(void* closure) { return *static_cast<Connection::Relay*>(closure); }

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
  relay_of(closure).report(true, connected_url(nc));
}
void on_disconnected(natsConnection* nc, void* closure) {
  relay_of(closure).report(false, drop_reason(nc));
}
void on_closed(natsConnection*, void* closure) {
  Connection::Relay& relay = relay_of(closure);
  relay.report(false, "the connection was closed");
  std::lock_guard lock(relay.mutex);
  relay.closed = true;
  relay.changed.notify_all();  // the destructor may free the relay once we unlock
}

natsStatus configure(natsOptions* opts, const ConnectionSettings& s, Connection::Relay* relay) {
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
  if (st == NATS_OK) st = natsOptions_SetRetryOnFailedConnect(opts, true, on_connected, relay);
  if (st == NATS_OK) st = natsOptions_SetDisconnectedCB(opts, on_disconnected, relay);
  if (st == NATS_OK) st = natsOptions_SetReconnectedCB(opts, on_connected, relay);
  if (st == NATS_OK) st = natsOptions_SetClosedCB(opts, on_closed, relay);
  return st;
}

}  // namespace

std::expected<std::unique_ptr<Connection>, std::string> Connection::open(
    const ConnectionSettings& settings, LinkSink sink) {
  auto relay = std::make_unique<Relay>();
  relay->sink = std::move(sink);
  natsOptions* opts = nullptr;
  natsStatus st = natsOptions_Create(&opts);
  if (st == NATS_OK) st = configure(opts, settings, relay.get());
  natsConnection* nc = nullptr;
  if (st == NATS_OK) st = natsConnection_Connect(&nc, opts);  // clones opts
  natsOptions_Destroy(opts);
  // Failing here, nats.c has posted no callback (its failed connect closes
  // without them), so the relay can go with this frame.
  if (st != NATS_OK && st != NATS_NOT_YET_CONNECTED)
    return std::unexpected("NATS connection: " + status_text(st));
  std::unique_ptr<Connection> connection(new Connection());
  connection->nc_ = nc;
  connection->relay_ = relay.release();
  jsOptions js_options;
  jsOptions_Init(&js_options);
  js_options.Wait = settings.request_timeout_ms;
  st = natsConnection_JetStream(&connection->js_, nc, &js_options);
  if (st != NATS_OK) return std::unexpected("JetStream context: " + status_text(st));
  if (natsConnection_Status(nc) == NATS_CONN_STATUS_CONNECTED) {
    // Connected within natsConnection_Connect: no handler says so. Unless one
    // has spoken since (a drop already), report it here.
    Relay& r = *connection->relay_;
    std::lock_guard lock(r.mutex);
    if (!r.spoke && !r.detached) {
      r.spoke = true;
      r.up = true;
      r.sink(true, connected_url(nc));
    }
  }
  return connection;
}

Connection::~Connection() {
  close();
  if (js_ != nullptr) jsCtx_Destroy(js_);
  bool closed = nc_ == nullptr;
  if (!closed) {
    std::unique_lock lock(relay_->mutex);
    closed =
        relay_->changed.wait_for(lock, std::chrono::seconds(10), [this] { return relay_->closed; });
  }
  if (nc_ != nullptr) natsConnection_Destroy(nc_);
  // Without nats.c's closed callback it may still call the relay: leaving its
  // few bytes is safer than a use after free.
  if (closed) delete relay_;
}

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
