#include "lookup.hpp"

#include "connection.hpp"

namespace tether::nats {

namespace {

template <class... F>
struct Overload : F... {
  using F::operator()...;
};

// "does not exist" for what JetStream says is missing; nats.c's words otherwise.
std::string failure(const Resource& resource, natsStatus status, jsErrCode code) {
  if (code == JSStreamNotFoundErr) {
    if (const auto* c = std::get_if<Consumer>(&resource))
      return describe(Stream{c->stream}) + " does not exist";
  }
  if (status == NATS_NOT_FOUND || code == JSStreamNotFoundErr || code == JSConsumerNotFoundErr)
    return describe(resource) + " does not exist";
  if (code == JSNotEnabledErr) return "JetStream is not enabled on the server";
  std::string text = "lookup of " + describe(resource) + " failed: " + status_text(status);
  if (status == NATS_NO_RESPONDERS) text += " (is JetStream enabled on the server?)";
  return text;
}

std::expected<std::unique_ptr<KvWatch>, std::string> stream(jsCtx* js, const Stream& s) {
  jsStreamInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus status = js_GetStreamInfo(&info, js, s.name.c_str(), nullptr, &code);
  jsStreamInfo_Destroy(info);
  if (status != NATS_OK) return std::unexpected(failure(s, status, code));
  return nullptr;
}

std::expected<std::unique_ptr<KvWatch>, std::string> consumer(jsCtx* js, const Consumer& c) {
  jsConsumerInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus status =
      js_GetConsumerInfo(&info, js, c.stream.c_str(), c.name.c_str(), nullptr, &code);
  jsConsumerInfo_Destroy(info);
  if (status != NATS_OK) return std::unexpected(failure(c, status, code));
  return nullptr;
}

std::expected<std::unique_ptr<KvWatch>, std::string> bucket(jsCtx* js, const KvBucket& b) {
  kvStore* kv = nullptr;
  natsStatus status = js_KeyValue(&kv, js, b.bucket.c_str());
  if (status != NATS_OK) return std::unexpected(failure(b, status, static_cast<jsErrCode>(0)));
  kvWatcher* watcher = nullptr;
  status = kvStore_WatchAll(&watcher, kv, nullptr);
  if (status != NATS_OK) {
    kvStore_Destroy(kv);
    return std::unexpected("opening the watch of " + describe(b) +
                           " failed: " + status_text(status));
  }
  return std::make_unique<KvWatch>(kv, watcher);
}

}  // namespace

std::expected<std::unique_ptr<KvWatch>, std::string> look_up(jsCtx* js, const Resource& resource) {
  if (js == nullptr) return std::unexpected("not connected to a NATS server yet");
  return std::visit(Overload{
                        [js](const KvBucket& b) { return bucket(js, b); },
                        [js](const Stream& s) { return stream(js, s); },
                        [js](const Consumer& c) { return consumer(js, c); },
                    },
                    resource);
}

}  // namespace tether::nats
