#pragma once
// What tether::nats waits for on a NATS JetStream server: a key-value bucket
// (held with a watch on all its keys), a stream, or a stream's consumer, and
// the names JetStream accepts for them. Plain data, no nats.c in it.
#include <expected>
#include <string>
#include <variant>

namespace tether::nats {

// A JetStream key-value bucket; once it exists, tether::nats watches all its
// keys (the watch's end starts the reopen pause).
struct KvBucket {
  std::string bucket;
};

// A stream.
struct Stream {
  std::string name;
};

// A durable consumer of a stream.
struct Consumer {
  std::string stream;
  std::string name;
};

using Resource = std::variant<KvBucket, Stream, Consumer>;

// For messages: "KV bucket 'config'", "stream 'ORDERS'",
// "consumer 'worker' of stream 'ORDERS'".
std::string describe(const Resource& resource);

// The first name JetStream would refuse, said with the rule it breaks: a
// bucket name is letters, digits, '_' and '-' (nats.c's rule); a stream or
// consumer name is non-empty and has no whitespace, '.', '*', '>', '/' or '\'
// (the server's rule, also a subject token).
std::expected<void, std::string> validate(const Resource& resource);

}  // namespace tether::nats
