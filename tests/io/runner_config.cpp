// Between Config and RunnerOptions (io/src/runner_config.cpp).
#include <catch2/catch.hpp>
#include <tether/io/runner_config.hpp>

namespace io = tether::io;

TEST_CASE("runner_config: a Config's policy reaches RunnerOptions and comes back",
          "[runner_config]") {
  io::Config c = io::preset_config("client_go").value();
  c.seed = 99;
  c.shell.sequence = "json:seq";
  c.shell.id_bytes_max = 200;
  c.shell.auto_ack = false;
  c.shell.pull_queue_max = 77;
  c.shell.http.cursor_query_parameter = "last";
  c.shell.sse.limits.line_bytes_max = 4096;
  c.shell.websocket.nchan_meta_frames = true;
  c.shell.tls.ca_file = "/etc/ca.pem";
  const io::RunnerOptions o = io::runner_options(c);
  CHECK(o.seed == 99U);
  REQUIRE(o.sequence.has_value());
  CHECK(o.sequence->json_field() == "seq");
  CHECK(o.id_bytes_max == 200);
  CHECK_FALSE(o.auto_ack);
  CHECK(o.pull_queue_max == 77);
  CHECK(o.sse.limits.line_bytes_max == 4096);
  CHECK(o.config.backoff.stable_ms == c.session.backoff.stable_ms);

  io::Config back = io::config_of(o);
  back.preset = c.preset;
  CHECK(io::to_json(back) == io::to_json(c));
}

TEST_CASE("runner_config: config_of keeps what may carry credentials out", "[runner_config]") {
  io::RunnerOptions o;
  o.http.headers = {{"Authorization", "Bearer s3cr3t"}, {"X-Key", "k3y"}};
  o.sse.method = "POST";
  o.sse.body_template = R"({"api_key": "b0dy", "cursor": "{cursor}"})";
  const std::string text = io::to_json(io::config_of(o), true);
  CHECK(text.find("s3cr3t") == std::string::npos);
  CHECK(text.find("k3y") == std::string::npos);
  CHECK(text.find("b0dy") == std::string::npos);
  CHECK(io::parse_config(text).has_value());  // a recording's header reads back
}

TEST_CASE("runner_config: a WebSocket subprotocol other than nchan's stays out of a recording",
          "[runner_config]") {
  io::RunnerOptions o;
  o.websocket.subprotocol = "base64url.bearer.authorization.k8s.io.s3cr3t";
  CHECK(io::to_json(io::config_of(o), true).find("s3cr3t") == std::string::npos);
  o.websocket.subprotocol = "ws+meta.nchan";
  CHECK(io::config_of(o).shell.websocket.subprotocol == "ws+meta.nchan");
}
