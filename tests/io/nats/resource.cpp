// What tether::nats waits for, and the names JetStream accepts (no server).
#include <catch2/catch.hpp>
#include <tether/nats/resource.hpp>

using namespace tether::nats;

TEST_CASE("nats resource: described by kind and name", "[nats][resource]") {
  CHECK(describe(KvBucket{"config"}) == "KV bucket 'config'");
  CHECK(describe(Stream{"ORDERS"}) == "stream 'ORDERS'");
  CHECK(describe(Consumer{"ORDERS", "worker"}) == "consumer 'worker' of stream 'ORDERS'");
}

TEST_CASE("nats resource: a bucket name is letters, digits, '_' and '-'", "[nats][resource]") {
  CHECK(validate(KvBucket{"config_v2-eu"}));
  CHECK(validate(KvBucket{""}).error() == "KV bucket name is empty");
  for (const char* bad : {"a.b", "a b", "a*", "a>", "a/b", "é"}) {
    INFO(bad);
    const auto result = validate(KvBucket{bad});
    REQUIRE_FALSE(result);
    CHECK(result.error() ==
          "KV bucket name '" + std::string(bad) + "' may hold only letters, digits, '_' and '-'");
  }
}

TEST_CASE("nats resource: stream and consumer names refuse what JetStream refuses",
          "[nats][resource]") {
  CHECK(validate(Stream{"ORDERS-2"}));
  CHECK(validate(Consumer{"ORDERS", "worker_1"}));
  CHECK(validate(Stream{""}).error() == "stream name is empty");
  CHECK(validate(Consumer{"ORDERS", ""}).error() == "consumer name is empty");
  const std::string rule = " may not hold whitespace, '.', '*', '>', '/' or '\\'";
  CHECK(validate(Stream{"a.b"}).error() == "stream name 'a.b'" + rule);
  CHECK(validate(Stream{"a b"}).error() == "stream name 'a b'" + rule);
  CHECK(validate(Consumer{"a>", "w"}).error() == "stream name 'a>'" + rule);
  CHECK(validate(Consumer{"ORDERS", "w*"}).error() == "consumer name 'w*'" + rule);
  CHECK(validate(Consumer{"ORDERS", "w\\x"}).error() == "consumer name 'w\\x'" + rule);
  CHECK(validate(Consumer{"ORDERS", "a/b"}).error() == "consumer name 'a/b'" + rule);
}
