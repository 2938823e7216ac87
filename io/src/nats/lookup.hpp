#pragma once
// The acquisition of tether::nats (private): the JetStream lookup of the
// resource, blocking, each request bounded by the JetStream context's wait.
// A stream or a consumer is looked up (stream info, consumer info); a KV
// bucket is looked up (js_KeyValue: its stream's info) and a watch on all its
// keys opened, not yet started. The error says why it is not there yet.
#include <nats/nats.h>

#include <expected>
#include <memory>
#include <string>
#include <tether/nats/resource.hpp>

#include "kv_watch.hpp"

namespace tether::nats {

// The KV bucket's watch (nullptr for a stream or a consumer).
std::expected<std::unique_ptr<KvWatch>, std::string> look_up(jsCtx* js, const Resource& resource);

}  // namespace tether::nats
